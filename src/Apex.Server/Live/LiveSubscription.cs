using System.Data.Common;
using System.Net.WebSockets;
using System.Threading.Channels;
using Apex.Core.Errors;
using Apex.Core.Events;

namespace Apex.Server.Live;

/// <summary>
/// One subscription of a socket. It joins the <see cref="LiveHub"/> first and waits until the hub hears every server's
/// events, then (with <c>since</c>) replays from the store, holding the live events the hub offers meanwhile, then sends <c>subscribed</c>, the held events and the live
/// ones as they come. No gap: it was offered every event published after it joined, and the replay read every one
/// committed before. No duplicate: a live stored event at or below the last replayed seq was in the replay (events
/// commit in seq order, so all of them up to that seq were visible to it).
/// </summary>
internal sealed class LiveSubscription(string id, LiveChannel channel, LiveFilter filter, long? since, LiveConnection connection)
{
    private const int HistoryPage = 1000;

    private readonly CancellationTokenSource _stop = new();
    private readonly byte[] _prefix = LiveFrames.EventPrefix(id, channel);
    private readonly Lock _gate = new();
    private List<LiveEvent>? _held = [];
    private long _duplicateUpTo;
    private bool _stopped;

    public string Id { get; } = id;

    public LiveChannel Channel { get; } = channel;

    public LiveConnection Connection => connection;

    public void Start()
    {
        var listening = connection.Services.Hub.Add(this);
        _ = RunAsync(listening, _stop.Token);
    }

    public void Stop()
    {
        lock (_gate)
        {
            _stopped = true;
            _held = null;
        }
        _stop.Cancel();
        connection.Services.Hub.Remove(this);
    }

    /// <summary>Whether any live-only event could match (<see cref="LiveChannels.MayTakeLive"/>).</summary>
    public bool MayTakeLive => LiveChannels.MayTakeLive(Channel, filter);

    /// <summary>What can be decided from the event alone (called by the hub before it resolves the event).</summary>
    /// <remarks>Another tenant's event never matches: not its payload, not its existence.</remarks>
    public bool MayMatch(StoredEvent e) => string.Equals(e.TenantId, connection.TenantId, StringComparison.Ordinal) && LiveChannels.MayMatch(Channel, filter, e);

    /// <summary>Called by the hub's one thread, in publication order; never waits.</summary>
    public void Offer(LiveEvent e)
    {
        if (!MayMatch(e.Event) || !LiveChannels.Matches(Channel, filter, e))
        {
            return;
        }
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }
            if (_held is not null)
            {
                if (_held.Count >= connection.Services.Options.SendQueueCapacity)
                {
                    _held = null;
                    _stopped = true;
                    connection.Close(WebSocketCloseStatus.PolicyViolation, LiveConnection.SendQueueFull);
                    return;
                }
                _held.Add(e);
                return;
            }
        }
        Send(e);
    }

    private void Send(LiveEvent e)
    {
        if (e.Event.IsLive || e.Event.Seq > _duplicateUpTo)
        {
            connection.TryEnqueue(_prefix, e.Body);
        }
    }

    private async Task RunAsync(Task listening, CancellationToken cancellationToken)
    {
        var services = connection.Services;
        try
        {
            // Distributed, the hub hears other servers' events once its Redis subscription is in place: read the store
            // only then, or an event committed elsewhere in between would be neither replayed nor delivered.
            await listening.WaitAsync(cancellationToken);
            long position;
            var replayed = 0;
            if (since is { } after)
            {
                (position, replayed) = await ReplayAsync(after, cancellationToken);
                if (position < 0)
                {
                    return;
                }
            }
            else
            {
                position = await services.Store.GetHeadSeqAsync(cancellationToken);
            }
            await connection.EnqueueAsync(LiveFrames.Subscribed(Id, Channel, filter, since, replayed, position), null, cancellationToken);
            lock (_gate)
            {
                if (_held is null)
                {
                    return; // Stopped meanwhile.
                }
                _duplicateUpTo = since is null ? 0 : position;
                foreach (var e in _held)
                {
                    Send(e);
                }
                _held = null;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            // Unsubscribed, or the socket is closing.
        }
        catch (Exception e) when (e is ApexUnavailableException or DbException)
        {
            services.Logger.ReplayFailed(e, connection.Id, Id);
            Fail("replay_unavailable", "The store could not be read; nothing was subscribed. Try again.");
        }
    }

    /// <summary>Replays the stored events after <paramref name="after"/>; returns the last seq read, or -1 when it gave up.</summary>
    private async Task<(long Position, int Replayed)> ReplayAsync(long after, CancellationToken cancellationToken)
    {
        var services = connection.Services;
        var position = after;
        var scanned = 0;
        var replayed = 0;
        while (true)
        {
            var page = await ReadPageAsync(position, cancellationToken);
            foreach (var e in page)
            {
                if (++scanned > services.Options.MaxReplayEvents)
                {
                    Fail("replay_too_large",
                        $"More than {services.Options.MaxReplayEvents} events after seq {after}: reload through the REST API and subscribe without since (or with a later one).");
                    return (-1, replayed);
                }
                position = Math.Max(position, e.Seq);
                if (!MayMatch(e))
                {
                    continue;
                }
                var resolved = await services.Router.ResolveAsync(e);
                if (LiveChannels.Matches(Channel, filter, resolved))
                {
                    await connection.EnqueueAsync(_prefix, resolved.Body, cancellationToken);
                    replayed++;
                }
            }
            if (page.Count < HistoryPage)
            {
                return (position, replayed);
            }
        }
    }

    /// <summary>The narrowest store read that covers the subscription: one task's events, one DAG's, or the whole log.</summary>
    private Task<IReadOnlyList<StoredEvent>> ReadPageAsync(long after, CancellationToken cancellationToken)
    {
        var services = connection.Services;
        if (filter.TaskId is { } task && Channel != LiveChannel.Approvals)
        {
            return services.Store.GetEventsAsync(connection.TenantId, EventTypes.Task, task, after, HistoryPage, cancellationToken);
        }
        if (filter.DagId is { } dag)
        {
            return services.Store.GetDagStreamAsync(connection.TenantId, dag, after, HistoryPage, cancellationToken);
        }
        return services.Store.GetEventLogAsync(connection.TenantId, after, HistoryPage, cancellationToken);
    }

    private void Fail(string code, string message)
    {
        Stop();
        connection.Forget(this);
        connection.TryEnqueue(LiveFrames.Error(code, message, Id), null);
    }
}
