using System.Text.Json;
using Apex.Core.Events;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Apex.Redis.Events;

/// <summary>
/// Fans committed events out to the live subscribers of every API server through the <c>{prefix}:events</c> channel.
/// At-most-once, like any <see cref="IEventBus"/>: a subscriber that missed events resumes from the store by seq.
/// </summary>
/// <remarks>
/// An instance delivers its own events to its local subscribers at once, inside <see cref="Publish"/>, and drops their
/// echo from the channel (each envelope carries the publishing instance's id). Relying on the echo instead would make
/// a server's own clients wait a Redis round trip, and lose its events whenever the subscription is not (yet, or no
/// longer) connected; the price of the choice is one short field per message. The events of one <see cref="Publish"/> travel together, in
/// messages of up to <see cref="RedisOptions.EventsPerMessage"/>. The channel is subscribed on the first
/// <see cref="Subscribe"/> (or <see cref="StartAsync"/>), so a worker process that never subscribes never receives
/// the whole cluster's events.
/// </remarks>
public sealed class RedisEventBus : IEventBus, IAsyncDisposable, IDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly RedisChannel _channel;
    private readonly ILogger<RedisEventBus> _logger;
    private readonly int _eventsPerMessage;
    private readonly string _origin = Guid.NewGuid().ToString("N");
    private readonly byte[] _echoPrefix;
    private readonly TimeSpan _liveDelay;
    private readonly Lock _lock = new();
    private EventSubscription[] _subscribers = [];
    private Task<ChannelMessageQueue>? _listening;

    // Live-only events (output deltas and the like) waiting to travel together; guarded by _liveLock.
    private readonly Lock _liveLock = new();
    private readonly List<EventEnvelope> _live = [];
    private bool _liveFlushPending;

    /// <summary>Creates the bus over the shared multiplexer.</summary>
    public RedisEventBus(IConnectionMultiplexer redis, IOptions<RedisOptions> options, ILogger<RedisEventBus> logger)
    {
        _redis = redis;
        _channel = new RedisKeys(options.Value.Prefix).Events;
        _eventsPerMessage = options.Value.EventsPerMessage;
        _liveDelay = options.Value.LiveEventDelay;
        _echoPrefix = EventBatch.Prefix(_origin);
        _logger = logger;
    }

    /// <summary>Live local subscriber count.</summary>
    public int SubscriberCount => Volatile.Read(ref _subscribers).Length;

    /// <summary>Offers the events to local subscribers and publishes them, fire-and-forget and pipelined; never blocks or throws.</summary>
    public void Publish(IReadOnlyList<StoredEvent> events)
    {
        if (events.Count == 0)
        {
            return;
        }
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            foreach (var e in events)
            {
                subscriber.Offer(e);
            }
        }
        if (_liveDelay > TimeSpan.Zero && AllLive(events))
        {
            Coalesce(events);
            return;
        }
        lock (_liveLock)
        {
            // Live events still waiting leave first: a remote subscriber never sees them after the events published later.
            var held = _live.Count;
            var envelopes = new EventEnvelope[held + events.Count];
            _live.CopyTo(envelopes);
            _live.Clear();
            for (var i = 0; i < events.Count; i++)
            {
                envelopes[held + i] = EventEnvelope.From(events[i]);
            }
            Send(envelopes, live: AllLive(events));
        }
    }

    private static bool AllLive(IReadOnlyList<StoredEvent> events)
    {
        foreach (var e in events)
        {
            if (!e.IsLive)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Live-only events wait up to <see cref="RedisOptions.LiveEventDelay"/> and leave together: a streaming agent
    /// publishes an output delta every few words, and thousands of agents on a worker would otherwise be one channel
    /// message per delta for Redis and for every server to handle. Their order is kept.
    /// </summary>
    private void Coalesce(IReadOnlyList<StoredEvent> events)
    {
        lock (_liveLock)
        {
            foreach (var e in events)
            {
                _live.Add(EventEnvelope.From(e));
            }
            if (_live.Count >= _eventsPerMessage)
            {
                SendHeld();
            }
            else if (!_liveFlushPending)
            {
                _liveFlushPending = true;
                _ = FlushLiveAsync();
            }
        }
    }

    /// <inheritdoc />
    public void Flush()
    {
        lock (_liveLock)
        {
            SendHeld();
        }
    }

    private async Task FlushLiveAsync()
    {
        await Task.Delay(_liveDelay).ConfigureAwait(false);
        lock (_liveLock)
        {
            _liveFlushPending = false;
            SendHeld();
        }
    }

    /// <summary>Sends the held live events; the caller holds <c>_liveLock</c>, so messages are queued in the order taken.</summary>
    private void SendHeld()
    {
        if (_live.Count > 0)
        {
            Send([.. _live], live: true);
            _live.Clear();
        }
    }

    /// <summary>
    /// Publishes, fire-and-forget and pipelined (queued on the connection, never waited for), in messages of at most
    /// <see cref="RedisOptions.EventsPerMessage"/>.
    /// </summary>
    private void Send(EventEnvelope[] envelopes, bool live)
    {
        try
        {
            var pubsub = _redis.GetSubscriber();
            for (var start = 0; start < envelopes.Length; start += _eventsPerMessage)
            {
                var part = envelopes.Length <= _eventsPerMessage ? envelopes : envelopes[start..Math.Min(envelopes.Length, start + _eventsPerMessage)];
                var payload = JsonSerializer.SerializeToUtf8Bytes(new EventBatch(_origin, part, live), RedisJsonContext.Default.EventBatch);
                _ = pubsub.PublishAsync(_channel, payload, CommandFlags.FireAndForget);
            }
        }
        catch (Exception e) when (e is RedisException or ObjectDisposedException)
        {
            // The events are committed and the store has them: a subscriber elsewhere resumes from it by seq.
            _logger.PublishFailed(e, envelopes.Length);
        }
    }

    /// <summary>
    /// Subscribes locally; the first subscriber starts listening to the channel. The subscription's
    /// <see cref="EventSubscription.Listening"/> completes once the channel is subscribed (or that failed: logged by
    /// ListenAsync, retried by the next subscriber or StartAsync, and the subscriber gets this server's events only).
    /// </summary>
    public EventSubscription Subscribe(Func<StoredEvent, bool> filter, int capacity = 1024)
    {
        var listening = StartAsync(CancellationToken.None);
        var subscription = new EventSubscription(filter, capacity, Remove,
            listening.IsCompletedSuccessfully ? null : listening.ContinueWith(static _ => { }, TaskScheduler.Default));
        lock (_lock)
        {
            _subscribers = [.. _subscribers, subscription];
        }
        return subscription;
    }

    /// <summary>Starts listening to the channel (idempotent); completes once the subscription is in place.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_listening is null || _listening.IsFaulted || _listening.IsCanceled)
            {
                _listening = ListenAsync();
            }
            return _listening.WaitAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (TakeListening() is { } queue)
        {
            await queue.UnsubscribeAsync();
        }
    }

    /// <inheritdoc />
    public void Dispose() => TakeListening()?.Unsubscribe();

    private async Task<ChannelMessageQueue> ListenAsync()
    {
        try
        {
            var queue = await _redis.GetSubscriber().SubscribeAsync(_channel);
            queue.OnMessage(Receive);
            return queue;
        }
        catch (Exception e)
        {
            _logger.SubscribeFailed(e, _channel.ToString());
            throw;
        }
    }

    private void Receive(ChannelMessage message)
    {
        var subscribers = Volatile.Read(ref _subscribers);
        if (subscribers.Length == 0)
        {
            return;
        }
        var payload = ((ReadOnlyMemory<byte>)message.Message).Span;
        if (payload.StartsWith(_echoPrefix))
        {
            // This instance's own batch, already delivered locally: not worth parsing.
            return;
        }
        if (EventBatch.IsLiveOnly(payload) && !AnyMayTakeLive(subscribers))
        {
            // A worker's output deltas, and no subscriber here may take one (sockets that follow task states only).
            return;
        }
        EventBatch? batch;
        try
        {
            batch = JsonSerializer.Deserialize(payload, RedisJsonContext.Default.EventBatch);
        }
        catch (JsonException e)
        {
            _logger.MalformedChannelMessage(e, _channel.ToString());
            return;
        }
        if (batch is null || batch.Origin == _origin)
        {
            return;
        }
        foreach (var envelope in batch.Events)
        {
            var stored = envelope.ToStoredEvent();
            foreach (var subscriber in subscribers)
            {
                subscriber.Offer(stored);
            }
        }
    }

    private static bool AnyMayTakeLive(EventSubscription[] subscribers)
    {
        foreach (var subscriber in subscribers)
        {
            if (subscriber.MayTakeLive)
            {
                return true;
            }
        }
        return false;
    }

    private ChannelMessageQueue? TakeListening()
    {
        Task<ChannelMessageQueue>? listening;
        lock (_lock)
        {
            listening = _listening;
            _listening = null;
        }
        return listening is { IsCompletedSuccessfully: true } ? listening.Result : null;
    }

    private void Remove(EventSubscription subscription)
    {
        lock (_lock)
        {
            _subscribers = Array.FindAll(_subscribers, s => !ReferenceEquals(s, subscription));
        }
    }
}
