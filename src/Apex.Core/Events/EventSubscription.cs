using System.Threading.Channels;

namespace Apex.Core.Events;

/// <summary>A live feed of events. A reader that falls behind by more than its capacity is cut off, never slows others.</summary>
public sealed class EventSubscription(Func<StoredEvent, bool> filter, int capacity, Action<EventSubscription> onDispose, Task? listening = null) : IDisposable
{
    private readonly Channel<StoredEvent> _channel = Channel.CreateBounded<StoredEvent>(
        new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = false, FullMode = BoundedChannelFullMode.Wait });

    /// <summary>The events, in publication order.</summary>
    public ChannelReader<StoredEvent> Reader => _channel.Reader;

    /// <summary>
    /// Completes once events published from anywhere (another process included) reach this subscription; never faults.
    /// A subscriber that reads the store after subscribing waits for it first: an event committed elsewhere after that
    /// read is then either delivered live or was already in the read, never lost in between.
    /// </summary>
    public Task Listening { get; } = listening ?? Task.CompletedTask;

    /// <summary>
    /// Whether the subscriber may take live-only events (<see cref="StoredEvent.IsLive"/>) at the moment it is asked; null
    /// (the default) means it may. A subscriber that says no lets a bus skip decoding them: the Redis bus does not parse
    /// another process's messages of live events when none of its subscribers may take them. Its filter still decides
    /// event by event.
    /// </summary>
    public Func<bool>? TakesLive { get; set; }

    /// <summary>What <see cref="TakesLive"/> says now.</summary>
    public bool MayTakeLive => !Overflowed && (TakesLive?.Invoke() ?? true);

    /// <summary>True once the subscriber fell behind and was cut off.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>Whether <see cref="Offer"/> would take <paramref name="e"/>.</summary>
    public bool Wants(StoredEvent e) => !Overflowed && filter(e);

    /// <summary>Offers an event; cuts the subscriber off when its buffer is full.</summary>
    public void Offer(StoredEvent e)
    {
        if (!filter(e))
        {
            return;
        }
        if (!_channel.Writer.TryWrite(e) && !Overflowed)
        {
            Overflowed = true;
            _channel.Writer.TryComplete(new EventSubscriptionOverflowException());
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _channel.Writer.TryComplete();
        onDispose(this);
    }
}

/// <summary>The subscriber fell too far behind; it should resume from the store by sequence number.</summary>
public sealed class EventSubscriptionOverflowException() : Exception("The event subscriber fell behind and was disconnected.");
