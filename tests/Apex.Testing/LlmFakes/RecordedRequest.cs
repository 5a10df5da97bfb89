using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Apex.Testing.LlmFakes;

/// <summary>One request a fake LLM server received.</summary>
/// <param name="Method">HTTP method.</param>
/// <param name="Path">Request path.</param>
/// <param name="Headers">Request headers, names lower-case, values comma-joined.</param>
/// <param name="Body">Raw body.</param>
/// <param name="Json">The body parsed, or null when it is not JSON.</param>
/// <param name="Timestamp">When it arrived, in <see cref="Stopwatch.GetTimestamp"/> ticks.</param>
public sealed record RecordedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body, JsonNode? Json, long Timestamp)
{
    /// <summary>Time between <paramref name="earlier"/> and this request.</summary>
    public TimeSpan ElapsedSince(RecordedRequest earlier) => Stopwatch.GetElapsedTime(earlier.Timestamp, Timestamp);

    /// <summary>The header's value, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : null;
}
