namespace Apex.Core.Approvals;

/// <summary>What an attempt stopped to ask a human for: the action, and exactly which tool call it covers.</summary>
/// <param name="Action"><see cref="ApprovalActions.Run"/> or <see cref="ApprovalActions.ToolCall"/>.</param>
/// <param name="Tool">The tool, for a tool call; empty for a run.</param>
/// <param name="ArgsHash">SHA-256 (hex) of the canonical JSON arguments (of the instruction, for a run).</param>
/// <param name="Risk"><c>low</c>, <c>medium</c> or <c>high</c>.</param>
/// <param name="Summary">What a human reads to decide.</param>
public sealed record ApprovalRequest(string Action, string Tool, string ArgsHash, string Risk, string Summary);
