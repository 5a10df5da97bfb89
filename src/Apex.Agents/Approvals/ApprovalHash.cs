using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Apex.Agents.Approvals;

/// <summary>
/// The arguments hash an approval covers: SHA-256 (lower-case hex) of the arguments' canonical JSON (object keys sorted
/// ordinally, no whitespace, numbers and strings as written), so the same call hashes the same whatever the key order.
/// </summary>
public static class ApprovalHash
{
    /// <summary>The hash of a tool call's JSON arguments (empty or blank: <c>{}</c>).</summary>
    /// <exception cref="JsonException">The arguments are not JSON.</exception>
    public static string OfArguments(string argumentsJson)
    {
        using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(argumentsJson) ? "{}" : argumentsJson);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteCanonical(writer, document.RootElement);
        }
        return Convert.ToHexStringLower(SHA256.HashData(buffer.ToArray()));
    }

    /// <summary>The hash of a text (the instruction, for a <c>run</c> approval).</summary>
    public static string OfText(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    WriteCanonical(writer, property.Value);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    WriteCanonical(writer, item);
                }
                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}
