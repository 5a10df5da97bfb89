using Apex.Core.Events;

namespace Apex.Server.Caching;

/// <summary>
/// Wraps the process's <see cref="IEventBus"/>: every committed task event this server publishes first ticks the
/// task's change clock, and the events that can change a finished task evict it here and, in distributed mode, on
/// every other server (through <see cref="ICacheInvalidationPublisher"/>).
/// </summary>
internal sealed class InvalidatingEventBus(IEventBus inner, TaskCacheCoherence cache, ICacheInvalidationPublisher publisher) : IEventBus
{
    /// <inheritdoc />
    public void Publish(IReadOnlyList<StoredEvent> events)
    {
        for (var i = 0; i < events.Count; i++) // an indexer: no enumerator for each published output delta
        {
            var e = events[i];
            if (e.AggregateType != EventTypes.Task || e.IsLive)
            {
                continue;
            }
            cache.Changed(e.AggregateId);
            if (CanChangeFinishedTask(e.EventType))
            {
                _ = cache.Invalidate(e.TenantId, e.AggregateId, e.Version);
                publisher.Publish(e.TenantId, e.AggregateId, e.Version);
            }
        }
        inner.Publish(events);
    }

    /// <inheritdoc />
    public EventSubscription Subscribe(Func<StoredEvent, bool> filter, int capacity = 1024) => inner.Subscribe(filter, capacity);

    /// <inheritdoc />
    public bool Wants(StoredEvent e) => inner.Wants(e);

    /// <inheritdoc />
    public void Flush() => inner.Flush();

    /// <summary>
    /// False for the events that only ever apply to a task in progress (those rows are never cached); true for the
    /// rest: a retry, a late result's usage, and any event type added later, to be safe.
    /// </summary>
    internal static bool CanChangeFinishedTask(string eventType) => eventType is not (EventTypes.TaskCreated or EventTypes.TaskQueued
        or EventTypes.TaskStarted or EventTypes.TaskRetryScheduled or EventTypes.TaskRequeued or EventTypes.TaskSucceeded
        or EventTypes.TaskFailed or EventTypes.TaskCancelled or EventTypes.TaskSkipped);
}
