using System.Net;
using System.Text.Json;

namespace Apex.Client;

/// <summary>Turns an error response into <see cref="ApexApiException"/>, whatever its body.</summary>
internal static class ProblemReader
{
    // Enough for any problem document; a proxy's HTML error page is cut rather than buffered whole.
    private const int MaxBodyBytes = 64 * 1024;

    public static async Task<ApexApiException> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var retryAfter = RetryAfter(response);
        var body = await ReadBodyAsync(response.Content, cancellationToken);
        if (body.Length > 0 && IsJson(response.Content.Headers.ContentType?.MediaType))
        {
            try
            {
                return Parse(response.StatusCode, body, retryAfter);
            }
            catch (JsonException)
            {
                // Not a problem document after all: fall through to the generic description.
            }
        }
        var text = System.Text.Encoding.UTF8.GetString(body).Trim();
        return new ApexApiException(
            response.StatusCode,
            $"http_{(int)response.StatusCode}",
            response.ReasonPhrase,
            text.Length is > 0 and <= 500 ? text : null,
            retryAfter: retryAfter);
    }

    private static ApexApiException Parse(HttpStatusCode status, byte[] body, TimeSpan? retryAfter)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("A problem document is an object.");
        }
        var code = String(root, "code") ?? $"http_{(int)status}";
        Dictionary<string, string[]>? errors = null;
        if (root.TryGetProperty("errors", out var errorsElement) && errorsElement.ValueKind == JsonValueKind.Object)
        {
            errors = [];
            foreach (var field in errorsElement.EnumerateObject())
            {
                errors[field.Name] = field.Value.ValueKind switch
                {
                    JsonValueKind.Array => [.. field.Value.EnumerateArray().Select(Text)],
                    _ => [Text(field.Value)],
                };
            }
        }
        List<string>? nodes = null;
        if (root.TryGetProperty("nodes", out var nodesElement) && nodesElement.ValueKind == JsonValueKind.Array)
        {
            nodes = [.. nodesElement.EnumerateArray().Select(Text)];
        }
        return new ApexApiException(status, code, String(root, "title"), String(root, "detail"), errors, nodes, retryAfter);
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string Text(JsonElement element) =>
        element.ValueKind == JsonValueKind.String ? element.GetString()! : element.GetRawText();

    private static bool IsJson(string? mediaType) =>
        mediaType is not null && (mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }
        if (header?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }

    private static async Task<byte[]> ReadBodyAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[MaxBodyBytes];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
        {
            total += read;
        }
        return buffer[..total];
    }
}
