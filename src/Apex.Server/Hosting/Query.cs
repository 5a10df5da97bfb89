using System.Globalization;
using System.Text.Json;
using Apex.Core.Errors;

namespace Apex.Server.Hosting;

/// <summary>Query-string parsing with 422 problems instead of silent defaults.</summary>
internal static class Query
{
    public static int PageSize(int? limit, ApiOptions options)
    {
        if (limit is null)
        {
            return options.DefaultPageSize;
        }
        return limit is >= 1 && limit <= options.MaxPageSize
            ? limit.Value
            : throw new ApexValidationException("invalid_limit", $"limit must be between 1 and {options.MaxPageSize} (setting Apex:Api:MaxPageSize).",
                new Dictionary<string, string[]> { ["limit"] = [$"Between 1 and {options.MaxPageSize}."] });
    }

    public static T? ParseEnum<T>(string? value, string field) where T : struct, Enum
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }
        var normalized = value.Replace("_", "", StringComparison.Ordinal);
        return Enum.TryParse<T>(normalized, ignoreCase: true, out var parsed) && !int.TryParse(value, out _)
            ? parsed
            : throw new ApexValidationException($"invalid_{field}", $"'{value}' is not a valid {field}.",
                new Dictionary<string, string[]> { [field] = [$"One of: {string.Join(", ", Enum.GetNames<T>().Select(JsonNamingPolicy.SnakeCaseLower.ConvertName))}."] });
    }

    /// <summary>
    /// The window [from, to) of a usage-style query: from the beginning when <paramref name="from"/> is absent, until now
    /// (inclusive) when <paramref name="to"/> is; a 422 (<c>invalid_window</c>) unless from is before to.
    /// </summary>
    public static (DateTimeOffset From, DateTimeOffset To) Window(DateTimeOffset? from, DateTimeOffset? to, TimeProvider time)
    {
        var end = to ?? time.GetUtcNow().AddMilliseconds(1);
        var start = from ?? DateTimeOffset.UnixEpoch;
        return start < end ? (start, end)
            : throw new Core.Errors.ApexValidationException("invalid_window", "from must be before to.",
                new Dictionary<string, string[]> { ["from"] = ["Must be before to."] });
    }

    public static long SeqCursor(string? cursor) =>
        string.IsNullOrEmpty(cursor) ? 0
        : long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var seq) ? seq
        : throw new ApexValidationException("invalid_cursor", "The cursor is not one this server issued.",
            new Dictionary<string, string[]> { ["cursor"] = ["Not a valid cursor."] });
}
