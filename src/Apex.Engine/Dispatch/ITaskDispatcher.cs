using Apex.Core.Storage;

namespace Apex.Engine.Dispatch;

/// <summary>
/// Where the engine hands ready work and cancellations: the in-process queue in embedded mode, the distributed
/// dispatcher otherwise. A hint only: the store already says what is queued.
/// </summary>
public interface ITaskDispatcher
{
    /// <summary>Name of the dispatch backend for health output: <c>in-process</c> or <c>redis-streams</c>.</summary>
    string Backend { get; }

    /// <summary>Tasks waiting to run (for admission control and health).</summary>
    long Backlog { get; }

    /// <summary>Makes committed, ready tasks runnable.</summary>
    void Dispatch(IReadOnlyList<DispatchItem> items);

    /// <summary>Stops the executions of tasks the store has just cancelled.</summary>
    void Cancel(IReadOnlyList<Guid> taskIds);

    /// <summary>
    /// Drops queued tasks the store has just cancelled or skipped before they ran (<see cref="TransitionOutcome.Withdrawn"/>),
    /// so they stop counting in <see cref="Backlog"/> at once instead of waiting for their turn or retry time.
    /// </summary>
    void Withdraw(IReadOnlyList<Guid> taskIds);
}
