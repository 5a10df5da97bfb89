using System.Net.WebSockets;
using Apex.Core.Events;
using Microsoft.Extensions.Options;

namespace Apex.Server.Live;

/// <summary>
/// The server's one subscription to the event bus for every WebSocket: each event is resolved and serialized once,
/// then offered to each matching subscription, which queues it on its socket without waiting (a full queue closes that
/// socket). One bus subscriber and one wake-up per event instead of one per socket.
/// </summary>
/// <remarks>
/// If this feed itself falls <see cref="LiveOptions.FeedCapacity"/> events behind, every socket it served is closed
/// with 1013 (<c>live_feed_overflow</c>) and the feed starts again: their clients resume with <c>since</c>.
/// </remarks>
internal sealed class LiveHub(IEventBus bus, LiveRouter router, IOptions<LiveOptions> options, ILogger<LiveHub> logger) : IDisposable
{
    /// <summary>WebSocket close code 1013 (RFC 6455 registry: try again later), which the enum lacks.</summary>
    private const WebSocketCloseStatus TryAgainLater = (WebSocketCloseStatus)1013;

    private const WebSocketCloseStatus InternalError = WebSocketCloseStatus.InternalServerError;

    private readonly Lock _lock = new();
    private LiveSubscription[] _subscribers = [];
    private EventSubscription? _feed;

    /// <summary>
    /// Adds a subscription; from here on it is offered every event the feed delivers. The task completes once the feed
    /// hears events published anywhere (<see cref="EventSubscription.Listening"/>): the subscription reads the store after it.
    /// </summary>
    public Task Add(LiveSubscription subscription)
    {
        lock (_lock)
        {
            _subscribers = [.. _subscribers, subscription];
            if (_feed is null)
            {
                _feed = bus.Subscribe(AnyMayMatch, options.Value.FeedCapacity);
                _feed.TakesLive = AnyMayTakeLive;
                _ = PumpAsync(_feed);
            }
            return _feed.Listening;
        }
    }

    /// <summary>
    /// The feed's filter, on the publisher's thread: an event no subscription can match (the <c>output_delta</c> stream
    /// of every streaming agent when the sockets ask for task states only) is never queued, woken for or resolved.
    /// </summary>
    private bool AnyMayMatch(StoredEvent e)
    {
        var subscribers = Volatile.Read(ref _subscribers);
        foreach (var subscription in subscribers)
        {
            if (subscription.MayMatch(e))
            {
                return true;
            }
        }
        // Unwanted, but it names the task's agent, which its wanted events are routed and tagged by (LiveRouter.Learn).
        return subscribers.Length > 0 && e.EventType == EventTypes.TaskCreated;
    }

    /// <summary>Whether any socket may take a live-only event (an <c>output_delta</c>, …); asked by the bus, not per event.</summary>
    private bool AnyMayTakeLive()
    {
        foreach (var subscription in Volatile.Read(ref _subscribers))
        {
            if (subscription.MayTakeLive)
            {
                return true;
            }
        }
        return false;
    }

    public void Remove(LiveSubscription subscription)
    {
        lock (_lock)
        {
            _subscribers = Array.FindAll(_subscribers, s => !ReferenceEquals(s, subscription));
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _feed?.Dispose();
            _feed = null;
        }
    }

    private async Task PumpAsync(EventSubscription feed)
    {
        var reader = feed.Reader;
        try
        {
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out var e))
                {
                    LiveEvent? resolved = null;
                    foreach (var subscription in Volatile.Read(ref _subscribers))
                    {
                        if (!subscription.MayMatch(e))
                        {
                            continue;
                        }
                        if (resolved is null)
                        {
                            var resolving = router.ResolveAsync(e);
                            resolved = resolving.IsCompletedSuccessfully ? resolving.Result : await resolving;
                        }
                        subscription.Offer(resolved);
                    }
                    if (resolved is null)
                    {
                        router.Learn(e);
                    }
                }
            }
        }
        catch (EventSubscriptionOverflowException)
        {
            // Handled below: feed.Overflowed.
        }
        catch (Exception e)
        {
            // A bug: say so loudly, and do not leave every socket silently without events; they reconnect and resume.
            logger.FeedFailed(e);
            Reset(feed, InternalError, "internal_error");
            return;
        }
        if (feed.Overflowed)
        {
            Reset(feed, TryAgainLater, "live_feed_overflow");
        }
    }

    private void Reset(EventSubscription feed, WebSocketCloseStatus status, string reason)
    {
        feed.Dispose();
        LiveSubscription[] cut;
        lock (_lock)
        {
            cut = _subscribers;
            _subscribers = [];
            if (ReferenceEquals(_feed, feed))
            {
                _feed = null;
            }
        }
        foreach (var subscription in cut)
        {
            subscription.Connection.Close(status, reason);
        }
    }
}
