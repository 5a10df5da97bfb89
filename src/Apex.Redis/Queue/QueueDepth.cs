namespace Apex.Redis.Queue;

/// <summary>Backlog of the two streams, for metrics and health.</summary>
/// <param name="Work">Entries in the work stream (waiting and pending).</param>
/// <param name="WorkPending">Work entries delivered to a worker and not yet acknowledged.</param>
/// <param name="Results">Entries in the results stream.</param>
/// <param name="ResultsPending">Results delivered to an orchestrator and not yet acknowledged.</param>
public readonly record struct QueueDepth(long Work, long WorkPending, long Results, long ResultsPending)
{
    /// <summary>Work no worker has read yet.</summary>
    public long WorkWaiting => Math.Max(0, Work - WorkPending);
}
