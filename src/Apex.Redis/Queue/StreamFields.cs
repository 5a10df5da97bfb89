using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Apex.Redis.Queue;

/// <summary>Writing and reading the all-string fields of the protocol's stream messages.</summary>
internal static class StreamFields
{
    /// <summary>Value of the version field <c>v</c>.</summary>
    public const string Version = "1";

    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Id(Guid value) => value.ToString("D");

    public static string Time(DateTimeOffset value) => Int(value.ToUnixTimeMilliseconds());

    public static string Decimal(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    public static void CheckVersion(string? value)
    {
        if (value != Version)
        {
            throw new FormatException($"Unsupported protocol version '{value}'.");
        }
    }

    public static string Text(string? value, string name) => value ?? throw new FormatException($"Field '{name}' is missing.");

    public static Guid Guid(string? value, string name) =>
        System.Guid.TryParse(Text(value, name), out var id) ? id : throw Invalid(name);

    public static long Long(string? value, string name) =>
        long.TryParse(Text(value, name), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : throw Invalid(name);

    public static int Int32(string? value, string name) =>
        int.TryParse(Text(value, name), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : throw Invalid(name);

    /// <summary>A decimal as another language prints it: sign, point and exponent allowed.</summary>
    public static decimal Decimal(string? value, string name) =>
        decimal.TryParse(Text(value, name), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw Invalid(name);

    public static DateTimeOffset Time(string? value, string name) =>
        Long(value, name) is var ms and >= MinUnixMs and <= MaxUnixMs ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : throw Invalid(name);

    public static bool Flag(string? value, string name) => Text(value, name) switch
    {
        "0" => false,
        "1" => true,
        _ => throw Invalid(name),
    };

    /// <summary>A JSON list field; absent or empty reads as an empty list.</summary>
    public static IReadOnlyList<T> Json<T>(string? value, string name, JsonTypeInfo<List<T>> type)
    {
        if (string.IsNullOrEmpty(value))
        {
            return [];
        }
        try
        {
            return JsonSerializer.Deserialize(value, type) ?? [];
        }
        catch (JsonException e)
        {
            throw new FormatException($"Field '{name}' is not valid.", e);
        }
    }

    /// <summary>A comma-separated list of ids; empty reads as none.</summary>
    public static IReadOnlyList<Guid> Ids(string? value, string name) =>
        string.IsNullOrEmpty(value) ? [] : [.. value.Split(',').Select(id => System.Guid.TryParse(id, out var g) ? g : throw Invalid(name))];

    private const long MinUnixMs = -62_135_596_800_000;
    private const long MaxUnixMs = 253_402_300_799_999;

    private static FormatException Invalid(string name) => new($"Field '{name}' is not valid.");
}
