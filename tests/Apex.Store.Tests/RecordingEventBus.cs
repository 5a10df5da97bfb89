using System.Collections.Concurrent;
using Apex.Core.Events;

namespace Apex.Store.Tests;

/// <summary>Keeps every published event, to compare what subscribers saw with what the store kept.</summary>
public sealed class RecordingEventBus : IEventBus
{
    private readonly ConcurrentQueue<StoredEvent> _published = new();

    public IReadOnlyList<StoredEvent> Published => [.. _published];

    public void Publish(IReadOnlyList<StoredEvent> events)
    {
        foreach (var e in events)
        {
            _published.Enqueue(e);
        }
    }

    public EventSubscription Subscribe(Func<StoredEvent, bool> filter, int capacity = 1024) => new(filter, capacity, _ => { });
}
