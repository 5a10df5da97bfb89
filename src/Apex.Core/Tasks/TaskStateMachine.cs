using Apex.Contracts.Tasks;

namespace Apex.Core.Tasks;

/// <summary>The legal task transitions of DESIGN §3.</summary>
public static class TaskStateMachine
{
    /// <summary>True for succeeded, failed, cancelled and skipped.</summary>
    public static bool IsTerminal(this TaskState state) =>
        state is TaskState.Succeeded or TaskState.Failed or TaskState.Cancelled or TaskState.Skipped;

    /// <summary>True when a task may move from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static bool CanTransition(TaskState from, TaskState to) => (from, to) switch
    {
        (TaskState.Pending, TaskState.Queued or TaskState.Cancelled or TaskState.Skipped) => true,
        (TaskState.Queued, TaskState.Running or TaskState.Cancelled or TaskState.Skipped) => true,
        // Running → Queued: a retry after a failed attempt, or a re-dispatch after the worker was lost.
        (TaskState.Running, TaskState.Queued or TaskState.AwaitingApproval or TaskState.Succeeded
            or TaskState.Failed or TaskState.Cancelled) => true,
        // Approved → queued: the approved action is taken by a new attempt (attempt + 1), which carries the grant.
        (TaskState.AwaitingApproval, TaskState.Queued or TaskState.Failed or TaskState.Cancelled) => true,
        // A manual retry re-opens a task that failed or was cancelled.
        (TaskState.Failed or TaskState.Cancelled, TaskState.Queued) => true,
        _ => false,
    };
}
