using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Apex.Agents.Routing;

namespace Apex.Bench;

/// <summary>A task of the cascade replay set (<c>bench/cascade/tasks.jsonl</c>) and how its answers are judged.</summary>
internal sealed record CascadeTask(string Id, string Kind, string System, string Instruction, JsonElement? Schema, CascadeReference Reference);

/// <summary>The reference rule: <c>regex</c>, <c>label</c>, <c>number</c>, <c>json</c> or <c>keywords</c>.</summary>
internal sealed record CascadeReference(
    string Method,
    string? Pattern = null,
    string? Label = null,
    double? Value = null,
    double? Tolerance = null,
    JsonElement? Expect = null,
    string[]? All = null,
    int? MaxWords = null);

/// <summary>One model's answer to one task (<c>bench/cascade/answers.jsonl</c>) with its reference judgement.</summary>
internal sealed record RecordedAnswer(
    string Task,
    string Model,
    string Answer,
    long InputTokens,
    long OutputTokens,
    bool Correct,
    string JudgedBy,
    string? Failure = null);

/// <summary>Reads and writes the fixtures and applies the reference rules.</summary>
internal static partial class CascadeFixtures
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static List<T> Read<T>(string path) =>
        [.. File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<T>(l, Json)!)];

    /// <summary><c>bench/cascade</c> of the repository this runs in.</summary>
    public static string DefaultDirectory()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "bench", "cascade");
            if (File.Exists(Path.Combine(candidate, "tasks.jsonl")))
            {
                return candidate;
            }
        }
        return Path.Combine("bench", "cascade");
    }

    public static bool IsCorrect(CascadeTask task, string answer)
    {
        var reference = task.Reference;
        return reference.Method switch
        {
            "regex" => Regex.IsMatch(answer, reference.Pattern!, RegexOptions.IgnoreCase),
            "label" => Normalize(answer) == reference.Label,
            "number" => LastNumber(answer) is { } n && Math.Abs(n - reference.Value!.Value) <= (reference.Tolerance ?? 0.005),
            "json" => JsonMatches(task, answer),
            "keywords" => reference.All!.All(p => Regex.IsMatch(answer, p, RegexOptions.IgnoreCase))
                && answer.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length <= reference.MaxWords,
            _ => throw new InvalidDataException($"Task {task.Id}: unknown reference method '{reference.Method}'."),
        };
    }

    public static string Describe(CascadeReference r) => r.Method switch
    {
        "regex" => $"regex /{r.Pattern}/i on the answer",
        "label" => $"label: the answer, trimmed, lower-cased, without a final period, equals '{r.Label}'",
        "number" => $"number: the last number in the answer equals {r.Value!.Value.ToString(CultureInfo.InvariantCulture)} (±{(r.Tolerance ?? 0.005).ToString(CultureInfo.InvariantCulture)})",
        "json" => "json: parses (```json fence tolerated), validates against the schema, and the listed fields equal the reference",
        "keywords" => $"keywords: every pattern of [{string.Join(", ", r.All!.Select(p => $"'{p}'"))}] matches and the answer has at most {r.MaxWords} words",
        _ => r.Method,
    };

    private static string Normalize(string answer) => answer.Trim().TrimEnd('.').Trim().ToLowerInvariant();

    private static double? LastNumber(string answer)
    {
        var matches = NumberPattern().Matches(answer.Replace(",", "", StringComparison.Ordinal));
        return matches.Count == 0 ? null : double.Parse(matches[^1].Value, CultureInfo.InvariantCulture);
    }

    private static bool JsonMatches(CascadeTask task, string answer)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(ResponseScorer.StripJsonFence(answer));
        }
        catch (JsonException)
        {
            return false;
        }
        using (document)
        {
            if (task.Schema is { } schema && !ResponseScorer.ParseSchema(schema.GetRawText()).Evaluate(document.RootElement).IsValid)
            {
                return false;
            }
            return task.Reference.Expect!.Value.EnumerateObject().All(field =>
                document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty(field.Name, out var actual)
                && JsonElement.DeepEquals(actual, field.Value));
        }
    }

    [GeneratedRegex(@"-?\d+(?:\.\d+)?")]
    private static partial Regex NumberPattern();
}
