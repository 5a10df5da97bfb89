using Apex.Core.Storage;
using Apex.Core.Tasks;

namespace Apex.Engine.Dispatch;

/// <summary>
/// The embedded dispatch queue: highest priority first, FIFO within a priority; items with a future
/// <see cref="DispatchItem.RunAt"/> wait in a timer-driven delay heap; an agent at its concurrency cap has its items
/// parked (in order) until one of its executions ends, so a busy agent never blocks others. A tenant at its cap of
/// concurrent runs has its items parked the same way, in a lane of its own (keyed by the tenant id alone: agent lanes
/// are <c>tenant/agent</c>).
/// It is a hint: the store is the truth and a restart rebuilds it from the store.
/// </summary>
/// <remarks>
/// A retry's delayed item is enqueued just after the store committed the retry, so a cancel can commit and withdraw the
/// task in between, before the queue holds it. The withdrawal is remembered for <see cref="WithdrawnHorizon"/>, and the
/// late delayed item it meets is dropped instead of waiting (and counting) until its retry time. Only a delayed item is
/// dropped that way: a task made runnable again (a manual retry) is enqueued at once and clears the mark.
/// </remarks>
public sealed class InProcessTaskQueue : IDisposable
{
    private readonly Lock _lock = new();
    private readonly PriorityQueue<DispatchItem, (int Priority, long Seq)> _ready = new();
    private readonly PriorityQueue<DispatchItem, DateTimeOffset> _delayed = new();
    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly Queue<TaskCompletionSource<DispatchItem>> _waiters = new();
    private readonly HashSet<Guid> _members = [];
    private readonly Dictionary<Guid, DateTimeOffset> _withdrawn = [];
    private readonly Dictionary<Guid, TaskCompletionSource<DispatchItem>> _reserved = [];
    private readonly Dictionary<Guid, TaskRecord> _started = [];
    private readonly TimeProvider _timeProvider;
    private readonly Func<string, int> _agentConcurrency;
    private readonly Func<string, int>? _tenantConcurrency;
    private readonly ITimer _timer;
    private long _seq;
    private DateTimeOffset _timerDue = DateTimeOffset.MaxValue;

    /// <summary>Creates a queue.</summary>
    /// <param name="timeProvider">Clock for delayed items.</param>
    /// <param name="agentConcurrency">Concurrency cap of an agent by name.</param>
    /// <param name="tenantConcurrency">Cap on a tenant's running tasks by tenant id (<see cref="int.MaxValue"/>: none); null: no tenant caps.</param>
    public InProcessTaskQueue(TimeProvider timeProvider, Func<string, int> agentConcurrency, Func<string, int>? tenantConcurrency = null)
    {
        _timeProvider = timeProvider;
        _agentConcurrency = agentConcurrency;
        _tenantConcurrency = tenantConcurrency;
        _timer = timeProvider.CreateTimer(_ => PromoteDue(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Items ready (including those parked behind a busy agent).</summary>
    public int ReadyCount
    {
        get
        {
            lock (_lock)
            {
                return _ready.Count + _lanes.Values.Sum(l => l.Parked.Count);
            }
        }
    }

    /// <summary>Items waiting for their retry time.</summary>
    public int DelayedCount
    {
        get
        {
            lock (_lock)
            {
                return _delayed.Count;
            }
        }
    }

    /// <summary>Everything held: ready, parked and delayed.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _members.Count;
            }
        }
    }

    /// <summary>How long a withdrawal of a task the queue did not hold drops that task's late delayed item.</summary>
    public static readonly TimeSpan WithdrawnHorizon = TimeSpan.FromMinutes(1);

    /// <summary>Adds an item; an id already held is ignored (dispatch is idempotent).</summary>
    public void Enqueue(DispatchItem item)
    {
        lock (_lock)
        {
            var now = _timeProvider.GetUtcNow();
            var delayed = item.RunAt is { } runAt && runAt > now;
            if (_withdrawn.Remove(item.Id, out var withdrawnAt) && delayed && now - withdrawnAt < WithdrawnHorizon)
            {
                return; // Withdrawn before its retry's item arrived: it would only wait for a claim that must fail.
            }
            if (!_members.Add(item.Id))
            {
                return;
            }
            if (delayed)
            {
                _delayed.Enqueue(item, item.RunAt!.Value);
                ArmTimer(now);
                return;
            }
            _ready.Enqueue(item, (-item.Priority, _seq++));
            Pump();
        }
    }

    /// <summary>Adds items.</summary>
    public void EnqueueRange(IEnumerable<DispatchItem> items)
    {
        foreach (var item in items)
        {
            Enqueue(item);
        }
    }

    /// <summary>Waits for the next item whose agent has a free slot, and takes the slot.</summary>
    public async ValueTask<DispatchItem> DequeueAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource<DispatchItem> waiter;
        lock (_lock)
        {
            if (TryTake(out var item))
            {
                return item;
            }
            waiter = new TaskCompletionSource<DispatchItem>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
        }
        using (cancellationToken.UnsafeRegister(static (state, token) => ((TaskCompletionSource<DispatchItem>)state!).TrySetCanceled(token), waiter))
        {
            return await waiter.Task;
        }
    }

    /// <summary>
    /// Reserves a waiting worker, and the item's agent and tenant slots, for an item a store is about to claim in the
    /// write that makes it ready (see <see cref="IEagerStarts"/>): only when the item may start now, no ready item waits
    /// (it would be overtaken) and its agent and tenant are under their caps. Then <see cref="Start"/> or
    /// <see cref="Unreserve"/> ends the reservation.
    /// </summary>
    public bool TryReserve(in DispatchItem item)
    {
        if (item.RunAt is { } runAt && runAt > _timeProvider.GetUtcNow())
        {
            return false;
        }
        lock (_lock)
        {
            if (_waiters.Count == 0 || _ready.Count > 0 || _members.Contains(item.Id) || _reserved.ContainsKey(item.Id))
            {
                return false;
            }
            while (_waiters.TryPeek(out var next) && next.Task.IsCompleted)
            {
                _waiters.Dequeue(); // cancelled while waiting
            }
            if (!_waiters.TryPeek(out var waiter) || TryTakeSlots(item.Agent) is not null)
            {
                return false;
            }
            _waiters.Dequeue();
            _reserved[item.Id] = waiter;
            return true;
        }
    }

    /// <summary>
    /// Hands <paramref name="task"/>, claimed for a reservation by a committed write, to the reserved worker: its
    /// <see cref="DequeueAsync"/> returns the item, and <see cref="TakeStarted"/> the claimed task.
    /// </summary>
    /// <returns>False when the worker had stopped waiting (the host is stopping): the task stays running in the store.</returns>
    public bool Start(in DispatchItem item, TaskRecord task)
    {
        TaskCompletionSource<DispatchItem>? waiter;
        lock (_lock)
        {
            if (!_reserved.Remove(item.Id, out waiter))
            {
                return false;
            }
            _started[item.Id] = task;
        }
        if (waiter.TrySetResult(item))
        {
            return true;
        }
        lock (_lock)
        {
            _started.Remove(item.Id);
            FreeSlots(item.Agent);
            Pump();
        }
        return false;
    }

    /// <summary>Ends a reservation whose claim did not happen or was rolled back: the worker waits again, the slots are free.</summary>
    public void Unreserve(in DispatchItem item)
    {
        lock (_lock)
        {
            if (!_reserved.Remove(item.Id, out var waiter))
            {
                return;
            }
            FreeSlots(item.Agent);
            if (!waiter.Task.IsCompleted)
            {
                _waiters.Enqueue(waiter);
            }
            Pump();
        }
    }

    /// <summary>The task already claimed for an item <see cref="Start"/> handed out; null for an item to claim as usual.</summary>
    public TaskRecord? TakeStarted(Guid id)
    {
        lock (_lock)
        {
            return _started.Remove(id, out var task) ? task : null;
        }
    }

    /// <summary>Frees the agent (and tenant) slot taken by <see cref="DequeueAsync"/>, once the execution ended.</summary>
    public void Release(string agent)
    {
        lock (_lock)
        {
            FreeSlots(agent);
            Pump();
        }
    }

    /// <summary>
    /// Gives every item parked behind its tenant's cap another chance (after caps changed): they go back to the ready
    /// heap in their order and park again if their tenant is still full.
    /// </summary>
    public void Reconsider()
    {
        lock (_lock)
        {
            foreach (var (key, lane) in _lanes)
            {
                if (!key.Contains('/', StringComparison.Ordinal))
                {
                    while (lane.Parked.TryDequeue(out var parked, out var order))
                    {
                        _ready.Enqueue(parked, order);
                    }
                }
            }
            Pump();
        }
    }

    /// <summary>
    /// Drops items that are no longer runnable (cancelled or skipped) wherever they wait: ready, parked behind a busy
    /// agent, or delayed until their retry time. They stop counting in <see cref="Count"/>, <see cref="ReadyCount"/> and
    /// <see cref="DelayedCount"/> at once. Ids not held (already handed to a worker, never dispatched, or whose retry's
    /// item is still on its way) are remembered for <see cref="WithdrawnHorizon"/> (see the remarks).
    /// </summary>
    /// <returns>How many items were dropped.</returns>
    public int Remove(IEnumerable<Guid> ids)
    {
        lock (_lock)
        {
            var now = _timeProvider.GetUtcNow();
            ForgetOldWithdrawals(now);
            HashSet<Guid>? removed = null;
            foreach (var id in ids)
            {
                if (_members.Remove(id))
                {
                    (removed ??= []).Add(id);
                }
                else
                {
                    _withdrawn[id] = now;
                }
            }
            if (removed is null)
            {
                return 0;
            }
            // One linear pass per heap, whatever the number of ids: a cancelled DAG withdraws many tasks at once.
            Purge(_ready, removed);
            Purge(_delayed, removed);
            foreach (var lane in _lanes.Values)
            {
                Purge(lane.Parked, removed);
            }
            return removed.Count;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _timer.Dispose();

    private bool TryTake(out DispatchItem item)
    {
        while (_ready.TryDequeue(out item, out var order))
        {
            if (!_members.Remove(item.Id))
            {
                continue; // not held any more
            }
            if (TryTakeSlots(item.Agent) is { } full)
            {
                _members.Add(item.Id);
                full.Parked.Enqueue(item, order);
                continue;
            }
            return true;
        }
        return false;
    }

    /// <summary>
    /// Takes an agent slot and its tenant's, when both have room; otherwise takes nothing and returns the lane that is
    /// full (the agent's first), where an item waiting for room parks.
    /// </summary>
    private Lane? TryTakeSlots(string agent)
    {
        var lane = GetLane(agent);
        if (lane.Running >= _agentConcurrency(agent))
        {
            return lane;
        }
        var tenant = TenantLane(agent);
        if (tenant is { } t && t.Lane.Running >= _tenantConcurrency!(t.Id))
        {
            return t.Lane;
        }
        lane.Running++;
        if (tenant is not null)
        {
            tenant.Value.Lane.Running++;
        }
        return null;
    }

    private void ForgetOldWithdrawals(DateTimeOffset now)
    {
        if (_withdrawn.Count == 0)
        {
            return;
        }
        foreach (var (id, at) in _withdrawn)
        {
            if (now - at >= WithdrawnHorizon)
            {
                _withdrawn.Remove(id);
            }
        }
    }

    private static void Purge<TPriority>(PriorityQueue<DispatchItem, TPriority> heap, HashSet<Guid> ids)
    {
        if (heap.Count == 0)
        {
            return;
        }
        var kept = heap.UnorderedItems.Where(entry => !ids.Contains(entry.Element.Id)).ToList();
        if (kept.Count == heap.Count)
        {
            return;
        }
        heap.Clear();
        heap.EnqueueRange(kept);
    }

    private void Pump()
    {
        while (_waiters.Count > 0)
        {
            if (!TryTake(out var item))
            {
                return;
            }
            var handed = false;
            while (_waiters.TryDequeue(out var waiter))
            {
                if (waiter.TrySetResult(item))
                {
                    handed = true;
                    break;
                }
            }
            if (!handed)
            {
                // Every waiter had been cancelled: give the item and its slots back.
                GetLane(item.Agent).Running--;
                if (TenantLane(item.Agent) is { } tenant)
                {
                    tenant.Lane.Running--;
                }
                _members.Add(item.Id);
                _ready.Enqueue(item, (-item.Priority, _seq++));
                return;
            }
        }
    }

    private void PromoteDue()
    {
        lock (_lock)
        {
            var now = _timeProvider.GetUtcNow();
            _timerDue = DateTimeOffset.MaxValue;
            while (_delayed.TryPeek(out var item, out var due) && due <= now)
            {
                _delayed.Dequeue();
                _ready.Enqueue(item, (-item.Priority, _seq++));
            }
            ArmTimer(now);
            Pump();
        }
    }

    private void ArmTimer(DateTimeOffset now)
    {
        if (!_delayed.TryPeek(out _, out var due) || due >= _timerDue)
        {
            return;
        }
        _timerDue = due;
        var dueIn = due - now;
        _timer.Change(dueIn < TimeSpan.Zero ? TimeSpan.Zero : dueIn, Timeout.InfiniteTimeSpan);
    }

    private void FreeSlots(string agent)
    {
        Unpark(GetLane(agent));
        if (TenantLane(agent) is { } tenant)
        {
            Unpark(tenant.Lane);
        }
    }

    private void Unpark(Lane lane)
    {
        lane.Running--;
        if (lane.Parked.TryDequeue(out var parked, out var order))
        {
            _ready.Enqueue(parked, order);
        }
    }

    /// <summary>The lane of the tenant of an agent lane <c>tenant/agent</c>; null without tenant caps.</summary>
    private (string Id, Lane Lane)? TenantLane(string agentLane)
    {
        if (_tenantConcurrency is null)
        {
            return null;
        }
        var id = GetLane(agentLane).Tenant;
        return (id, GetLane(id));
    }

    private Lane GetLane(string key)
    {
        if (!_lanes.TryGetValue(key, out var lane))
        {
            var slash = key.IndexOf('/', StringComparison.Ordinal);
            lane = new Lane { Tenant = slash > 0 ? key[..slash] : "" };
            _lanes[key] = lane;
        }
        return lane;
    }

    private sealed class Lane
    {
        /// <summary>For an agent lane, its tenant (the lane key's part before the slash).</summary>
        public required string Tenant { get; init; }

        public int Running { get; set; }

        public PriorityQueue<DispatchItem, (int Priority, long Seq)> Parked { get; } = new();
    }
}
