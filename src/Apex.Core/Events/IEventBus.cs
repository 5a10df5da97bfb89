namespace Apex.Core.Events;

/// <summary>Fans committed events out to live subscribers (SSE, WebSocket). At-most-once; the store has the history.</summary>
public interface IEventBus
{
    /// <summary>Publishes events that are already committed.</summary>
    void Publish(IReadOnlyList<StoredEvent> events);

    /// <summary>Subscribes; the subscription ends when the returned object is disposed.</summary>
    /// <param name="filter">Which events to deliver.</param>
    /// <param name="capacity">Bounded buffer; a subscriber that falls this far behind is completed with an overflow.</param>
    EventSubscription Subscribe(Func<StoredEvent, bool> filter, int capacity = 1024);

    /// <summary>
    /// Whether publishing <paramref name="e"/> could reach anybody, judged on what subscription filters look at (its
    /// tenant, aggregate, DAG and type, not its payload). A publisher of live-only events skips building the ones nobody
    /// wants. True unless the bus knows better: one that forwards to other processes cannot.
    /// </summary>
    bool Wants(StoredEvent e) => true;

    /// <summary>
    /// Sends at once what the bus holds back (live events waiting to share a message). A publisher calls it before a
    /// message of its own that must not overtake them: a worker, before the results whose terminal events would
    /// otherwise reach subscribers ahead of the answer's last output deltas.
    /// </summary>
    void Flush()
    {
    }
}
