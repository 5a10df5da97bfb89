using Apex.Core.Events;

namespace Apex.Agents.Routing;

/// <summary>One model tried by a cascade: its verdict and what the call (and its judge, if any) cost.</summary>
/// <param name="Step">0-based position in the cascade.</param>
/// <param name="Model">Model called.</param>
/// <param name="Outcome">One of <see cref="CascadeOutcomes"/>.</param>
/// <param name="Reason">One of <see cref="ScoreReasons"/>, or <c>provider_error:&lt;code&gt;</c> / <c>judge_error:&lt;code&gt;</c>.</param>
/// <param name="Score">0–1: the rules' verdict, or the judge's rating when one was asked.</param>
/// <param name="Final">True for the decision whose answer the cascade returned.</param>
/// <param name="Usage">Tokens, cost and calls of the model call (one call, no tokens, when it failed).</param>
/// <param name="Latency">Wall time of the model call.</param>
/// <param name="Detail">What matched or failed (a marker, a schema error, a provider message), or null.</param>
/// <param name="JudgeModel">The judge's model when one was asked.</param>
/// <param name="JudgeUsage">Tokens, cost and calls of the judge call, or null.</param>
public sealed record CascadeDecision(
    int Step,
    string Model,
    string Outcome,
    string Reason,
    double Score,
    bool Final,
    UsageDelta Usage,
    TimeSpan Latency,
    string? Detail = null,
    string? JudgeModel = null,
    UsageDelta? JudgeUsage = null);
