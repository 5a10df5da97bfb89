using System.Collections.Frozen;

namespace Apex.Core.Events;

/// <summary>Aggregate and event type names, as stored and as sent to clients.</summary>
public static class EventTypes
{
    /// <summary>Aggregate type of tasks.</summary>
    public const string Task = "task";

    /// <summary>Aggregate type of DAGs.</summary>
    public const string Dag = "dag";

    /// <summary>Aggregate type of approvals.</summary>
    public const string Approval = "approval";

    /// <summary>Accepted (pending or queued).</summary>
    public const string TaskCreated = "task_created";

    /// <summary>Dependencies succeeded; instruction rendered; ready to run.</summary>
    public const string TaskQueued = "task_queued";

    /// <summary>A worker claimed an attempt.</summary>
    public const string TaskStarted = "task_started";

    /// <summary>An attempt failed and another is scheduled.</summary>
    public const string TaskRetryScheduled = "task_retry_scheduled";

    /// <summary>The running attempt was lost (process died) and the task goes back to the queue.</summary>
    public const string TaskRequeued = "task_requeued";

    /// <summary>A user retried a failed or cancelled task.</summary>
    public const string TaskRetried = "task_retried";

    /// <summary>Terminal: output.</summary>
    public const string TaskSucceeded = "task_succeeded";

    /// <summary>Terminal: error.</summary>
    public const string TaskFailed = "task_failed";

    /// <summary>Terminal: cancelled.</summary>
    public const string TaskCancelled = "task_cancelled";

    /// <summary>Terminal: a dependency failed or was cancelled.</summary>
    public const string TaskSkipped = "task_skipped";

    /// <summary>A result from an attempt that is no longer current; recorded and otherwise ignored.</summary>
    public const string TaskResultIgnored = "task_result_ignored";

    /// <summary>The running attempt stopped for a human approval; the task waits in <c>awaiting_approval</c>.</summary>
    public const string TaskAwaitingApproval = "task_awaiting_approval";

    /// <summary>The approval it waited for was granted; the task is queued for a new attempt.</summary>
    public const string TaskApproved = "task_approved";

    /// <summary>Approval aggregate: requested by an attempt (the whole initial row).</summary>
    public const string ApprovalRequested = "approval_requested";

    /// <summary>Approval aggregate: a human approved it.</summary>
    public const string ApprovalGranted = "approval_granted";

    /// <summary>Approval aggregate: a human rejected it.</summary>
    public const string ApprovalRejected = "approval_rejected";

    /// <summary>Approval aggregate: nobody decided in time.</summary>
    public const string ApprovalExpired = "approval_expired";

    /// <summary>Approval aggregate: an attempt took the approved action.</summary>
    public const string ApprovalUsed = "approval_used";

    /// <summary>Approval aggregate: its task ended otherwise while it was pending.</summary>
    public const string ApprovalCancelled = "approval_cancelled";

    /// <summary>DAG accepted.</summary>
    public const string DagCreated = "dag_created";

    /// <summary>First task of the DAG started.</summary>
    public const string DagStarted = "dag_started";

    /// <summary>DAG finished: every task succeeded.</summary>
    public const string DagSucceeded = "dag_succeeded";

    /// <summary>DAG finished with a failed task.</summary>
    public const string DagFailed = "dag_failed";

    /// <summary>DAG cancelled.</summary>
    public const string DagCancelled = "dag_cancelled";

    /// <summary>A user retried a task of a finished DAG, which runs again.</summary>
    public const string DagReopened = "dag_reopened";

    /// <summary>Live only (never stored): a piece of the output an agent is writing.</summary>
    public const string OutputDelta = "output_delta";

    /// <summary>Live only (never stored): a contract dimension passed 70 % or 90 % of its limit.</summary>
    public const string ContractWarning = "contract_warning";

    /// <summary>Live only (never stored): the cascade router accepted or escalated a model's answer.</summary>
    public const string CascadeDecision = "cascade_decision";

    /// <summary>Live only (never stored): the agent called a tool.</summary>
    public const string ToolCalled = "tool_called";

    /// <summary>The live-only event types: published as they happen, never stored (seq 0).</summary>
    public static FrozenSet<string> Live { get; } = FrozenSet.ToFrozenSet([OutputDelta, ContractWarning, CascadeDecision, ToolCalled], StringComparer.Ordinal);

    /// <summary>Every event type: the stored ones and the live-only ones (not the aggregate types above).</summary>
    public static FrozenSet<string> All { get; } = FrozenSet.ToFrozenSet(
    [
        TaskCreated, TaskQueued, TaskStarted, TaskRetryScheduled, TaskRequeued, TaskRetried, TaskSucceeded, TaskFailed,
        TaskCancelled, TaskSkipped, TaskResultIgnored, TaskAwaitingApproval, TaskApproved,
        ApprovalRequested, ApprovalGranted, ApprovalRejected, ApprovalExpired, ApprovalUsed, ApprovalCancelled,
        DagCreated, DagStarted, DagSucceeded, DagFailed, DagCancelled, DagReopened,
        OutputDelta, ContractWarning, CascadeDecision, ToolCalled,
    ], StringComparer.Ordinal);

    /// <summary>True for the task events that end a task.</summary>
    public static bool IsTerminal(string eventType) =>
        eventType is TaskSucceeded or TaskFailed or TaskCancelled or TaskSkipped;
}
