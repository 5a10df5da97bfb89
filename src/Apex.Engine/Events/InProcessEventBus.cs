using Apex.Core.Events;

namespace Apex.Engine.Events;

/// <summary>Delivers committed events to the subscribers of this process. Publishing never blocks on a subscriber.</summary>
public sealed class InProcessEventBus : IEventBus
{
    private readonly Lock _lock = new();
    private EventSubscription[] _subscribers = [];

    /// <summary>Live subscriber count.</summary>
    public int SubscriberCount => Volatile.Read(ref _subscribers).Length;

    /// <inheritdoc />
    public void Publish(IReadOnlyList<StoredEvent> events)
    {
        var subscribers = Volatile.Read(ref _subscribers);
        if (subscribers.Length == 0)
        {
            return;
        }
        for (var i = 0; i < events.Count; i++) // an indexer: a live event is published alone, often
        {
            foreach (var subscriber in subscribers)
            {
                subscriber.Offer(events[i]);
            }
        }
    }

    /// <inheritdoc />
    public bool Wants(StoredEvent e)
    {
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            if (subscriber.Wants(e))
            {
                return true;
            }
        }
        return false;
    }

    /// <inheritdoc />
    public EventSubscription Subscribe(Func<StoredEvent, bool> filter, int capacity = 1024)
    {
        var subscription = new EventSubscription(filter, capacity, Remove);
        lock (_lock)
        {
            _subscribers = [.. _subscribers, subscription];
        }
        return subscription;
    }

    private void Remove(EventSubscription subscription)
    {
        lock (_lock)
        {
            _subscribers = Array.FindAll(_subscribers, s => !ReferenceEquals(s, subscription));
        }
    }
}
