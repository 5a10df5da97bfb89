namespace Apex.Core.Approvals;

/// <summary>An approved, unused approval of a task: the next attempt may take exactly this action once.</summary>
/// <param name="Id">Approval id, reported back when the attempt uses it.</param>
/// <param name="TaskId">The task.</param>
/// <param name="Action"><see cref="ApprovalActions.Run"/> or <see cref="ApprovalActions.ToolCall"/>.</param>
/// <param name="Tool">The tool; empty for a run.</param>
/// <param name="ArgsHash">The arguments hash it covers.</param>
public sealed record ApprovalGrant(Guid Id, Guid TaskId, string Action, string Tool, string ArgsHash);
