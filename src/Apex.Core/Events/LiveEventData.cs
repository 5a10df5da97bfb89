namespace Apex.Core.Events;

/// <summary>Payload of <see cref="EventTypes.OutputDelta"/>: the next piece of an attempt's output.</summary>
public sealed record OutputDeltaData(int Attempt, string Text);

/// <summary>Payload of <see cref="EventTypes.ToolCalled"/>: a tool the agent called and whether it ran.</summary>
/// <param name="Attempt">The attempt.</param>
/// <param name="Tool">Tool name as the model asked for it.</param>
/// <param name="Allowed">False when the tool is not offered to the agent: it did not run.</param>
public sealed record ToolCalledData(int Attempt, string Tool, bool Allowed);

/// <summary>Payload of <see cref="EventTypes.ContractWarning"/>: a contract dimension passed a threshold.</summary>
/// <param name="Attempt">The attempt.</param>
/// <param name="Dimension"><c>tokens</c>, <c>cost</c> or <c>api_calls</c>.</param>
/// <param name="ThresholdPercent">70 or 90.</param>
/// <param name="Used">Spent so far over the task's life, or by the DAG's tasks (US dollars for cost).</param>
/// <param name="Limit">The limit.</param>
/// <param name="Scope"><c>task</c>: the task's own limit; <c>dag</c>: the DAG's shared budget (one warning per DAG and threshold).</param>
public sealed record ContractWarningData(int Attempt, string Dimension, int ThresholdPercent, decimal Used, decimal Limit, string Scope = "task");

/// <summary>Payload of <see cref="EventTypes.CascadeDecision"/>: what the cascade router made of one model's answer.</summary>
/// <param name="Attempt">The attempt.</param>
/// <param name="Step">1 for the cheapest model tried, then up.</param>
/// <param name="Model">The model.</param>
/// <param name="Outcome"><c>accepted</c>, <c>rejected</c> or <c>provider_error</c>.</param>
/// <param name="Reason">Why: <c>accepted</c>, <c>empty</c>, <c>refusal</c>, <c>hedging</c>, <c>invalid_json</c>, <c>schema_mismatch</c>, <c>judge_below_threshold</c>, <c>provider_error:&lt;code&gt;</c>.</param>
/// <param name="Score">The scorer's score, 0–1.</param>
/// <param name="Final">True for the answer the task keeps.</param>
/// <param name="Usage">What the call spent.</param>
/// <param name="LatencyMs">How long it took.</param>
public sealed record CascadeDecisionData(int Attempt, int Step, string Model, string Outcome, string Reason, double Score, bool Final, UsageDelta Usage, long LatencyMs);
