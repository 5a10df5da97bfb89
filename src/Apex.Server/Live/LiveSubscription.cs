using System.Data.Common;
using System.Net.WebSockets;
using System.Threading.Channels;
using Apex.Core;
using Apex.Core.Errors;
using Apex.Core.Events;

namespace Apex.Server.Live;

/// <summary>
/// One subscription of a socket: a bus subscription taken first, then (with <c>since</c>) the replay from the store,
/// then the live events, each offered to the socket's queue. No gap: the bus subscription predates the read. No
/// duplicate: a live stored event at or below the last replayed seq was in the replay (events commit in seq order, so
/// all of them up to that seq were visible to it).
/// </summary>
internal sealed class LiveSubscription(string id, LiveChannel channel, LiveFilter filter, long? since, LiveConnection connection)
{
    private const int HistoryPage = 1000;

    private readonly CancellationTokenSource _stop = new();
    private readonly byte[] _prefix = LiveFrames.EventPrefix(id, channel);
    private EventSubscription? _live;

    public string Id { get; } = id;

    public LiveChannel Channel { get; } = channel;

    public void Start()
    {
        var services = connection.Services;
        var live = services.Bus.Subscribe(e => LiveChannels.MayMatch(Channel, filter, e), services.Options.SendQueueCapacity);
        Volatile.Write(ref _live, live);
        if (_stop.IsCancellationRequested)
        {
            live.Dispose(); // Stopped (the socket closed) before it started.
            return;
        }
        _ = PumpAsync(live, _stop.Token);
    }

    public void Stop()
    {
        _stop.Cancel();
        Volatile.Read(ref _live)?.Dispose();
    }

    private async Task PumpAsync(EventSubscription live, CancellationToken cancellationToken)
    {
        var services = connection.Services;
        try
        {
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
                position = await services.Log.HeadAsync(cancellationToken);
            }
            await connection.EnqueueAsync(LiveFrames.Subscribed(Id, Channel, filter, since, replayed, position), null, cancellationToken);
            var duplicateUpTo = since is null ? 0 : position;
            var reader = live.Reader;
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                while (reader.TryRead(out var e))
                {
                    if (!e.IsLive && e.Seq <= duplicateUpTo)
                    {
                        continue;
                    }
                    var resolving = services.Router.ResolveAsync(e);
                    var resolved = resolving.IsCompletedSuccessfully ? resolving.Result : await resolving;
                    if (LiveChannels.Matches(Channel, filter, resolved) && !connection.TryEnqueue(_prefix, resolved.Body))
                    {
                        return;
                    }
                }
            }
            if (live.Overflowed)
            {
                connection.Close(WebSocketCloseStatus.PolicyViolation, LiveConnection.SendQueueFull);
            }
        }
        catch (EventSubscriptionOverflowException)
        {
            connection.Close(WebSocketCloseStatus.PolicyViolation, LiveConnection.SendQueueFull);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException && cancellationToken.IsCancellationRequested)
        {
            // Unsubscribed or closing.
        }
        catch (ChannelClosedException)
        {
            // The socket's queue closed: the connection is ending.
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
                if (!LiveChannels.MayMatch(Channel, filter, e))
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
            return services.Store.GetEventsAsync(Tenancy.DefaultTenant, EventTypes.Task, task, after, HistoryPage, cancellationToken);
        }
        if (filter.DagId is { } dag)
        {
            return services.Store.GetDagStreamAsync(Tenancy.DefaultTenant, dag, after, HistoryPage, cancellationToken);
        }
        return services.Log.ReadAfterAsync(Tenancy.DefaultTenant, after, HistoryPage, cancellationToken);
    }

    private void Fail(string code, string message)
    {
        Stop();
        connection.Forget(this);
        connection.TryEnqueue(LiveFrames.Error(code, message, Id), null);
    }
}
