using System.Net;
using System.Text.Json;

namespace Apex.Testing;

/// <summary>An RFC 9457 problem+json answer, as a client sees it.</summary>
/// <param name="Status">HTTP status.</param>
/// <param name="ContentType">Media type of the body.</param>
/// <param name="Body">The parsed body.</param>
public sealed record Problem(HttpStatusCode Status, string? ContentType, JsonElement Body)
{
    /// <summary>The stable <c>code</c> extension.</summary>
    public string? Code => Body.TryGetProperty("code", out var code) ? code.GetString() : null;

    /// <summary>The <c>errors</c> extension (field → messages), empty when absent.</summary>
    public IReadOnlyDictionary<string, string[]> Errors =>
        Body.TryGetProperty("errors", out var errors)
            ? errors.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(v => v.GetString() ?? "").ToArray())
            : new Dictionary<string, string[]>();

    /// <summary>The <c>nodes</c> extension (offending DAG node ids), empty when absent.</summary>
    public IReadOnlyList<string> Nodes =>
        Body.TryGetProperty("nodes", out var nodes) ? [.. nodes.EnumerateArray().Select(v => v.GetString() ?? "")] : [];

    /// <summary>Reads <paramref name="response"/> as a problem; a body that is not JSON fails with the raw text.</summary>
    public static async Task<Problem> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken = default)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using var document = JsonDocument.Parse(text);
            return new Problem(response.StatusCode, response.Content.Headers.ContentType?.MediaType, document.RootElement.Clone());
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"{(int)response.StatusCode} with a body that is not JSON: {text}", e);
        }
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var body = Body.GetRawText();
        return $"{(int)Status} {ContentType} {(body.Length > 500 ? string.Concat(body.AsSpan(0, 500), "…") : body)}";
    }
}
