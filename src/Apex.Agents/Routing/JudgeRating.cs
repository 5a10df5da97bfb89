namespace Apex.Agents.Routing;

/// <summary>What a judge said about one answer and what asking it consumed.</summary>
/// <param name="Rating">0–1, or null when the reply held no readable rating.</param>
/// <param name="InputTokens">Prompt tokens of the judge call.</param>
/// <param name="OutputTokens">Completion tokens of the judge call.</param>
public sealed record JudgeRating(double? Rating, long InputTokens, long OutputTokens);
