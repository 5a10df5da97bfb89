using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Apex.Agents.Routing;

/// <summary>A model asked to rate an answer 0–1 for its instruction; the cascade accepts at or above <see cref="Threshold"/>.</summary>
/// <param name="client">The judge's chat client; provider errors should surface as <c>AgentExecutionException</c>.</param>
/// <param name="model">The judge's model id, for <see cref="ChatOptions.ModelId"/> and pricing.</param>
/// <param name="threshold">Lowest accepted rating.</param>
public sealed partial class ResponseJudge(IChatClient client, string model, double threshold)
{
    private const string Rubric =
        "You grade answers. Given an instruction and an answer, reply with one number between 0 and 1: how well the " +
        "answer fulfils the instruction (1 = correct and complete, 0 = wrong, missing or a refusal). Reply with the number only.";

    /// <summary>The judge's model id.</summary>
    public string Model { get; } = model;

    /// <summary>Lowest accepted rating.</summary>
    public double Threshold { get; } = threshold;

    /// <summary>Asks the judge to rate <paramref name="answer"/>; the rating is null when the reply holds none.</summary>
    public async Task<JudgeRating> RateAsync(string instruction, string answer, CancellationToken cancellationToken = default)
    {
        List<ChatMessage> messages =
        [
            new(ChatRole.System, Rubric),
            new(ChatRole.User, $"Instruction:\n{instruction}\n\nAnswer:\n{answer}"),
        ];
        var response = await client.GetResponseAsync(messages, new ChatOptions { ModelId = Model, Temperature = 0 }, cancellationToken);
        return new JudgeRating(ParseRating(response.Text), response.Usage?.InputTokenCount ?? 0, response.Usage?.OutputTokenCount ?? 0);
    }

    /// <summary>
    /// Reads a rating from a judge's reply: a bare number, <c>{"score": n}</c>, <c>n/10</c>, <c>n%</c>, or the first
    /// number in prose. Numbers above 1 without a scale are read as out of 10 (up to 10) or 100 (up to 100).
    /// </summary>
    internal static double? ParseRating(string? reply)
    {
        if (string.IsNullOrWhiteSpace(reply))
        {
            return null;
        }
        var text = ResponseScorer.StripJsonFence(reply);
        if (text.StartsWith('{') && FromJson(text) is { } fromJson)
        {
            return Scale(fromJson, denominator: null, percent: false);
        }
        var match = RatingPattern().Match(text);
        if (!match.Success)
        {
            return null;
        }
        var value = double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
        double? denominator = match.Groups["of"].Success ? double.Parse(match.Groups["of"].Value, CultureInfo.InvariantCulture) : null;
        return Scale(value, denominator, match.Groups["percent"].Success);
    }

    private static double? FromJson(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && (document.RootElement.TryGetProperty("score", out var score) || document.RootElement.TryGetProperty("rating", out score))
                && score.ValueKind == JsonValueKind.Number
                ? score.GetDouble()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static double? Scale(double value, double? denominator, bool percent) => (value, denominator, percent) switch
    {
        (_, > 0, _) when value <= denominator => value / denominator.Value,
        (_, not null, _) => null,
        ( <= 100, _, true) => value / 100,
        ( <= 1, _, _) => value,
        ( <= 10, _, _) => value / 10,
        ( <= 100, _, _) => value / 100,
        _ => null,
    };

    [GeneratedRegex(@"(?<value>\d+(?:\.\d+)?)\s*(?:(?<percent>%)|/\s*(?<of>\d+(?:\.\d+)?))?")]
    private static partial Regex RatingPattern();
}
