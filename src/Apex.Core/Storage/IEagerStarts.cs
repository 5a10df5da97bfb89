using Apex.Core.Tasks;

namespace Apex.Core.Storage;

/// <summary>
/// Whoever runs tasks and can take one right now, so a store may give it a task in the very write that makes it ready:
/// the store claims the task in that transaction, and the taker reserved for it gets it once the write is committed.
/// It saves the claim's own commit per task, and a DAG's dependent starts in the commit that ended its last dependency.
/// Embedded, the takers are this process's idle workers; distributed, the dispatcher, which sends the task to the work
/// stream (it reserves room there).
/// </summary>
/// <remarks>
/// Called by the store's writer inside its transaction, so every member is quick and never blocks on I/O. A reservation
/// is either started or released, exactly once.
/// </remarks>
public interface IEagerStarts
{
    /// <summary>The worker name a claim records.</summary>
    string Worker { get; }

    /// <summary>
    /// Reserves a taker (an idle worker and the agent's and tenant's slots; room in the work stream) for
    /// <paramref name="item"/> when it may start now: it is not delayed, no other ready task waits, and its caps allow it.
    /// </summary>
    bool TryReserve(in DispatchItem item);

    /// <summary>Hands <paramref name="task"/>, claimed by a committed write, to the taker reserved for it.</summary>
    void Start(in DispatchItem item, TaskRecord task);

    /// <summary>Gives a reservation back: its claim found the task not claimable, or its write was rolled back.</summary>
    void Release(in DispatchItem item);
}

/// <summary>A store that can start ready tasks on idle workers in the write that made them ready (see <see cref="IEagerStarts"/>).</summary>
public interface IEagerStartStore
{
    /// <summary>From now on, writes that make tasks ready offer them to <paramref name="starts"/> first.</summary>
    void UseEagerStarts(IEagerStarts starts);
}
