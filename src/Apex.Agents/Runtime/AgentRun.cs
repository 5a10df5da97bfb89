using Apex.Agents.Approvals;
using Apex.Contracts.Tasks;
using Apex.Core.Agents;
using Apex.Core.Events;

namespace Apex.Agents.Runtime;

/// <summary>One attempt of a task, as the agent runtime needs it: the same in the embedded engine and in a worker.</summary>
public sealed record AgentRun
{
    /// <summary>The agent that runs it.</summary>
    public required AgentDefinition Agent { get; init; }

    /// <summary>Tenant of the task.</summary>
    public required string TenantId { get; init; }

    /// <summary>Task id.</summary>
    public required Guid TaskId { get; init; }

    /// <summary>The DAG of the task, if any: its budget and scratchpad are shared.</summary>
    public Guid? DagId { get; init; }

    /// <summary>The attempt (fencing token).</summary>
    public required int Attempt { get; init; }

    /// <summary>The instruction, dependency outputs substituted.</summary>
    public required string Instruction { get; init; }

    /// <summary>The task's own JSON Schema for its output (raw JSON); null: the agent's, if it has one.</summary>
    public string? OutputSchema { get; init; }

    /// <summary>The task's contract.</summary>
    public TaskLimits Limits { get; init; } = new();

    /// <summary>The DAG's limits, a budget its tasks share; null outside a DAG or for a DAG without limits.</summary>
    public TaskLimits? DagLimits { get; init; }

    /// <summary>What the DAG's tasks had spent when this attempt was dispatched (seeds a budget the ledger does not hold yet).</summary>
    public UsageDelta DagUsedBefore { get; init; } = UsageDelta.None;

    /// <summary>What earlier attempts of the task spent: the contract counts the task's whole life.</summary>
    public UsageDelta UsedBefore { get; init; } = UsageDelta.None;

    /// <summary>
    /// The attempt's approvals: call <see cref="ApprovalGate.TryPassTool"/> before invoking a tool, and
    /// <see cref="ApprovalGate.ThrowIfPending"/> once the tool loop ended.
    /// </summary>
    public ApprovalGate Approvals { get; init; } = ApprovalGate.Open;
}
