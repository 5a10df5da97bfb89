using Apex.Core.Events;
using Microsoft.Extensions.AI;

namespace Apex.Agents.Routing;

/// <summary>The answer a cascade settled on and every decision that led there.</summary>
/// <param name="Response">The accepted answer, or the last answered model's when none passed.</param>
/// <param name="Model">Model that gave <paramref name="Response"/>.</param>
/// <param name="Accepted">False when no model passed and the last answer is final anyway.</param>
/// <param name="Decisions">One per model tried, in order.</param>
public sealed record CascadeResult(ChatResponse Response, string Model, bool Accepted, IReadOnlyList<CascadeDecision> Decisions)
{
    /// <summary>Everything the cascade consumed: every model call and every judge call.</summary>
    public UsageDelta Usage { get; } = Decisions
        .SelectMany(d => d.JudgeUsage is null ? [d.Usage] : new[] { d.Usage, d.JudgeUsage })
        .Aggregate(UsageDelta.None, (sum, u) => new UsageDelta(
            sum.InputTokens + u.InputTokens, sum.OutputTokens + u.OutputTokens, sum.CostUsd + u.CostUsd, sum.ApiCalls + u.ApiCalls));
}
