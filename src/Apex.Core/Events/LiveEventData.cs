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
/// <param name="Used">Spent so far over the task's life (US dollars for cost).</param>
/// <param name="Limit">The limit.</param>
public sealed record ContractWarningData(int Attempt, string Dimension, int ThresholdPercent, decimal Used, decimal Limit);
