using System.Diagnostics.Metrics;

namespace Apex.Server.Live;

/// <summary>
/// The sockets this server holds: admission against <see cref="LiveOptions.MaxConnections"/>, and how they ended
/// (meter <c>Apex.Server.Live</c>: <c>apex.websocket.connections.active</c>, the seed's <c>apex_websocket_connections_active</c>, and
/// <c>apex.ws.closed</c> tagged <c>reason</c>).
/// </summary>
internal sealed class LiveConnections
{
    /// <summary>Meter name.</summary>
    public const string MeterName = "Apex.Server.Live";

    private readonly Counter<long> _closed;
    private int _active;
    private long _closedSlow;

    public LiveConnections(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableUpDownCounter("apex.websocket.connections.active", () => Active, description: "WebSocket connections open on this server.");
        _closed = meter.CreateCounter<long>("apex.ws.closed", description: "WebSocket connections ended, by reason.");
    }

    /// <summary>Sockets open now.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>Sockets closed because their client read too slowly (<c>send_queue_full</c>), since start.</summary>
    public long ClosedSlow => Interlocked.Read(ref _closedSlow);

    /// <summary>Takes a slot; false when <paramref name="max"/> are in use.</summary>
    public bool TryAdd(int max)
    {
        while (true)
        {
            var current = Volatile.Read(ref _active);
            if (current >= max)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _active, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>Frees a slot, recording why the socket ended.</summary>
    public void Remove(string reason)
    {
        Interlocked.Decrement(ref _active);
        if (reason == LiveConnection.SendQueueFull)
        {
            Interlocked.Increment(ref _closedSlow);
        }
        _closed.Add(1, new KeyValuePair<string, object?>("reason", reason));
    }
}
