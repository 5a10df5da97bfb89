using System.Text.Json;
using Json.Schema;

namespace Apex.Agents.Routing;

/// <summary>
/// Decides without calling anything whether an answer is good enough to stop a cascade: not empty, no refusal or
/// hedge in its opening, and, when the task asks for JSON, parseable (a fenced <c>```json</c> block is tolerated)
/// and valid against the task's schema.
/// </summary>
public sealed class ResponseScorer(RoutingOptions options)
{
    /// <summary>Scores <paramref name="answer"/>; a non-null <paramref name="schema"/> implies <paramref name="expectsJson"/>.</summary>
    public ResponseScore Score(string? answer, bool expectsJson = false, JsonSchema? schema = null)
    {
        var text = answer?.Trim() ?? "";
        if (text.Length == 0 || text.Length < options.MinLength)
        {
            return ResponseScore.Reject(ScoreReasons.Empty, $"{text.Length} characters");
        }
        if (!expectsJson && schema is null)
        {
            return MarkerVerdict(text) ?? ResponseScore.Pass;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(StripJsonFence(text));
        }
        catch (JsonException e)
        {
            // A refusal is also unparseable; naming it a refusal tells operators more.
            return MarkerVerdict(text) ?? ResponseScore.Reject(ScoreReasons.InvalidJson, e.Message);
        }
        using (document)
        {
            if (schema is null)
            {
                return ResponseScore.Pass;
            }
            var result = schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            return result.IsValid ? ResponseScore.Pass : ResponseScore.Reject(ScoreReasons.SchemaMismatch, FirstError(result));
        }
    }

    /// <summary>The body of the first fenced code block of <paramref name="text"/>, or the trimmed text when it has none.</summary>
    public static string StripJsonFence(string text)
    {
        var open = text.IndexOf("```", StringComparison.Ordinal);
        if (open < 0)
        {
            return text.Trim();
        }
        var bodyStart = text.IndexOf('\n', open);
        if (bodyStart < 0)
        {
            return text.Trim();
        }
        var close = text.IndexOf("```", bodyStart, StringComparison.Ordinal);
        return (close < 0 ? text[(bodyStart + 1)..] : text[(bodyStart + 1)..close]).Trim();
    }

    /// <summary>Parses a schema the task supplied; its <c>$id</c> is registered only for this schema.</summary>
    public static JsonSchema ParseSchema(string schema) => JsonSchema.FromText(schema, new BuildOptions { SchemaRegistry = new() });

    private ResponseScore? MarkerVerdict(string text)
    {
        var opening = Normalize(text.Length > options.MarkerWindow ? text[..options.MarkerWindow] : text);
        if (options.RefusalMarkers.FirstOrDefault(m => opening.Contains(Normalize(m), StringComparison.OrdinalIgnoreCase)) is { } refusal)
        {
            return ResponseScore.Reject(ScoreReasons.Refusal, refusal);
        }
        if (options.HedgingMarkers.FirstOrDefault(m => opening.Contains(Normalize(m), StringComparison.OrdinalIgnoreCase)) is { } hedge)
        {
            return ResponseScore.Reject(ScoreReasons.Hedging, hedge);
        }
        if (options.HedgingPrefixes.FirstOrDefault(m => opening.StartsWith(Normalize(m), StringComparison.OrdinalIgnoreCase)) is { } prefix)
        {
            return ResponseScore.Reject(ScoreReasons.Hedging, prefix);
        }
        return null;
    }

    // Models write typographic apostrophes as often as straight ones.
    private static string Normalize(string text) => text.Replace('\u2019', '\'').Replace('\u2018', '\'');

    private static string FirstError(EvaluationResults result) =>
        (result.Details ?? []).Append(result)
            .Where(d => d.Errors is { Count: > 0 })
            .Select(d => $"{d.InstanceLocation}: {d.Errors!.Values.First()}")
            .FirstOrDefault() ?? "does not match the schema";
}
