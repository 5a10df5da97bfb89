namespace Apex.Core.Events;

/// <summary>Payload of <see cref="EventTypes.OutputDelta"/>: the next piece of an attempt's output.</summary>
public sealed record OutputDeltaData(int Attempt, string Text);

/// <summary>Payload of <see cref="EventTypes.ToolCalled"/>: a tool the agent called and whether it ran.</summary>
/// <param name="Attempt">The attempt.</param>
/// <param name="Tool">Tool name as the model asked for it.</param>
/// <param name="Allowed">False when the tool is not offered to the agent: it did not run.</param>
public sealed record ToolCalledData(int Attempt, string Tool, bool Allowed);
