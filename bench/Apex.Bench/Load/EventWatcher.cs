using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;

namespace Apex.Bench.Load;

/// <summary>One stored event as the watcher saw it.</summary>
/// <param name="CreatedAt">The store's timestamp (taken when the event's group commit began).</param>
/// <param name="Received">When the watcher read it (<see cref="Stopwatch"/> timestamp).</param>
internal readonly record struct SeenEvent(long Seq, string Type, Guid TaskId, Guid DagId, DateTimeOffset CreatedAt, long Received);

/// <summary>
/// One WebSocket (<c>/api/v1/ws</c>, a channel, no filter) that hands every stored event to a callback: how the harness
/// learns, without polling, that a task or DAG it submitted finished, and when each task of a DAG started and ended.
/// </summary>
internal sealed class EventWatcher : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;

    private EventWatcher(ClientWebSocket socket, Action<SeenEvent> seen)
    {
        _socket = socket;
        _reader = Task.Run(() => ReadAsync(seen));
    }

    /// <summary>Set when the server closed the socket or reading failed: events after it were not seen.</summary>
    public string? Failure { get; private set; }

    /// <summary>
    /// The events a task tracker uses (<see cref="TaskTracker.OnEvent"/>): a client that follows task states subscribes to
    /// these and not to the live <c>output_delta</c> stream of streaming agents.
    /// </summary>
    public static readonly string[] TaskStates = ["task_started", "task_requeued", "task_succeeded", "task_failed", "task_cancelled", "task_skipped"];

    /// <summary>Connects and subscribes to <paramref name="channel"/> (<c>tasks</c> or <c>dags</c>): every event, or only
    /// <paramref name="eventTypes"/>.</summary>
    public static async Task<EventWatcher> StartAsync(Uri baseAddress, string channel, Action<SeenEvent> seen, CancellationToken ct,
        IReadOnlyList<string>? eventTypes = null)
    {
        var socket = await WebSocketFanOut.SubscribeAsync(new Uri($"ws://{baseAddress.Authority}/api/v1/ws"), ct, channel, eventTypes);
        return new EventWatcher(socket, seen);
    }

    private async Task ReadAsync(Action<SeenEvent> seen)
    {
        var buffer = new byte[1024 * 1024];
        try
        {
            while (true)
            {
                (buffer, var length) = await ReceiveMessageAsync(_socket, buffer, _stop.Token);
                if (length < 0)
                {
                    Failure = $"closed by the server: {_socket.CloseStatus} {_socket.CloseStatusDescription}";
                    return;
                }
                var received = Stopwatch.GetTimestamp();
                if (Parse(buffer.AsSpan(0, length), received) is { } e)
                {
                    seen(e);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is WebSocketException or JsonException or InvalidOperationException)
        {
            Failure = $"{e.GetType().Name}: {e.Message}";
        }
    }

    /// <summary>Reads one whole message into <paramref name="buffer"/> (grown when too small); length −1 when the server closed.</summary>
    internal static async Task<(byte[] Buffer, int Length)> ReceiveMessageAsync(ClientWebSocket socket, byte[] buffer, CancellationToken ct)
    {
        var length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            if (length == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }
            result = await socket.ReceiveAsync(buffer.AsMemory(length), ct);
            length += result.Count;
        }
        while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
        return (buffer, result.MessageType == WebSocketMessageType.Close ? -1 : length);
    }

    /// <summary>
    /// The stored event in a server message, or null (another message type, or a live-only event: <c>seq</c> 0). Stops at
    /// <c>created_at</c>, which the server writes after the ids and before the payload.
    /// </summary>
    internal static SeenEvent? Parse(ReadOnlySpan<byte> json, long received)
    {
        var reader = new Utf8JsonReader(json);
        long seq = -1;
        string? type = null;
        Guid task = default, dag = default;
        DateTimeOffset created = default;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.StartObject && reader.CurrentDepth > 0)
            {
                reader.Skip(); // data: the payload is not needed
                continue;
            }
            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1)
            {
                continue;
            }
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                if (!reader.ValueTextEquals("event"u8))
                {
                    return null;
                }
            }
            else if (reader.ValueTextEquals("seq"u8))
            {
                reader.Read();
                seq = reader.GetInt64();
            }
            else if (reader.ValueTextEquals("event_type"u8))
            {
                reader.Read();
                type = reader.GetString();
            }
            else if (reader.ValueTextEquals("task_id"u8))
            {
                reader.Read();
                task = reader.GetGuid();
            }
            else if (reader.ValueTextEquals("dag_id"u8))
            {
                reader.Read();
                dag = reader.GetGuid();
            }
            else if (reader.ValueTextEquals("created_at"u8))
            {
                reader.Read();
                created = reader.GetDateTimeOffset();
                break;
            }
        }
        // seq 0: live-only events (output deltas), never stored.
        return seq > 0 && type is not null ? new SeenEvent(seq, type, task, dag, created, received) : null;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Abort();
        await _reader;
        _socket.Dispose();
        _stop.Dispose();
    }
}
