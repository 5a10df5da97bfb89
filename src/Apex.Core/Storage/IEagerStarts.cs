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

/// <summary>What both stores do with new standalone tasks when eager starts are on (see <see cref="IEagerStarts"/>).</summary>
public static class EagerStartPlan
{
    /// <summary>
    /// Reserves takers for new standalone tasks, highest priority first, before they are inserted: a reserved task is
    /// inserted already claimed, with no claim statement after it. Its record becomes the claimed one (attempt 1,
    /// started at <paramref name="now"/>, version 2) and its reservation goes to <paramref name="started"/> at once, so a
    /// failed insert gives it back with the rest of the write. Once one task finds no taker, the rest wait behind it.
    /// Returns the tasks left to dispatch.
    /// </summary>
    public static IReadOnlyList<DispatchItem> Reserve(IEagerStarts? starts, DispatchItem[] ready, TaskRecord[] records, DateTimeOffset now,
        List<(DispatchItem Item, TaskRecord Task)> started)
    {
        if (starts is null)
        {
            return ready;
        }
        List<DispatchItem>? rest = null;
        foreach (var i in PriorityOrder(ready))
        {
            if (rest is null && starts.TryReserve(ready[i]))
            {
                records[i] = Claimed(records[i], now);
                started.Add((ready[i], records[i]));
                continue;
            }
            (rest ??= []).Add(ready[i]); // the queue keeps their order
        }
        return rest ?? [];
    }

    /// <summary>
    /// <paramref name="task"/> as a claim at <paramref name="now"/> leaves it: running at attempt + 1, one version on,
    /// started no earlier than it was created.
    /// </summary>
    public static TaskRecord Claimed(TaskRecord task, DateTimeOffset now) => task with
    {
        Status = Contracts.Tasks.TaskState.Running,
        Attempt = task.Attempt + 1,
        StartedAt = now > task.CreatedAt ? now : task.CreatedAt,
        RunAt = null,
        Version = task.Version + 1,
    };

    /// <summary>Indexes of <paramref name="ready"/>, highest priority first, in submission order within a priority.</summary>
    public static IEnumerable<int> PriorityOrder(IReadOnlyList<DispatchItem> ready)
    {
        var order = Enumerable.Range(0, ready.Count);
        return ready.Any(item => item.Priority != ready[0].Priority) ? order.OrderByDescending(i => ready[i].Priority) : order;
    }
}
