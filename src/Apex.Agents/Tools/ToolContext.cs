using Apex.Agents.Approvals;
namespace Apex.Agents.Tools;

/// <summary>Who a tool call works for: the task's tenant, the task, and its DAG when it has one.</summary>
/// <param name="TenantId">Tenant of the task.</param>
/// <param name="TaskId">The task.</param>
/// <param name="DagId">The DAG the task belongs to; null for a standalone task.</param>
internal sealed record ToolContext(string TenantId, Guid TaskId, Guid? DagId)
{
    /// <summary>The attempt's approvals: a tool call a policy holds for a human is not invoked until one approves it.</summary>
    public ApprovalGate Approvals { get; init; } = ApprovalGate.Open;

    /// <summary>What this attempt's tool calls did; a new tally per attempt.</summary>
    public ToolCallTally Tally { get; init; } = new();

    /// <summary>The scratchpad is shared by the tasks of one DAG; a standalone task has its own.</summary>
    public ScratchpadScope Scratchpad => new(TenantId, DagId ?? TaskId);
}
