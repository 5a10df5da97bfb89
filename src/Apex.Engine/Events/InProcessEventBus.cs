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
        foreach (var e in events)
        {
            foreach (var subscriber in subscribers)
            {
                subscriber.Offer(e);
            }
        }
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
