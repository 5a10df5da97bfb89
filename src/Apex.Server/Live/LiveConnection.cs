using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using Apex.Core.Storage;

namespace Apex.Server.Live;

/// <summary>
/// One socket: a read loop that answers client messages, one subscription pump per subscription, and one write loop
/// that alone writes to the socket from a bounded queue. Pumps never wait on the queue for live events: a full queue
/// closes this socket (1008 <c>send_queue_full</c>), so a slow reader costs only itself and the bus never blocks.
/// </summary>
internal sealed partial class LiveConnection
{
    public const string SendQueueFull = "send_queue_full";

    private const int ReceiveChunk = 4096;

    private readonly WebSocket _socket;
    private readonly CoalescingStream? _stream;
    private readonly LiveServices _services;
    private readonly Channel<Frame> _outbound;
    private readonly Dictionary<string, LiveSubscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource<Closing> _closing = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _abort = new();
    private int _nextId;
    private int _invalidInARow;

    public LiveConnection(WebSocket socket, CoalescingStream? stream, LiveServices services, string connectionId, string tenantId)
    {
        _socket = socket;
        TenantId = tenantId;
        _stream = stream;
        _services = services;
        Id = connectionId;
        _outbound = Channel.CreateBounded<Frame>(new BoundedChannelOptions(services.Options.SendQueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public string Id { get; }

    /// <summary>The tenant of the credential that opened the socket: its subscriptions see that tenant's events only.</summary>
    public string TenantId { get; }

    public LiveServices Services => _services;

    /// <summary>Serves the socket until it closes; returns the reason it ended.</summary>
    public async Task<string> RunAsync(CancellationToken stopping)
    {
        using var stop = stopping.Register(() => Close(WebSocketCloseStatus.EndpointUnavailable, "server_stopping"));
        // Sends take no token (a cancellable send registers on every call, one per event per socket); a send stuck past
        // the close timeout is ended by aborting the socket instead.
        using var abort = _abort.Token.Register(static socket => ((WebSocket)socket!).Abort(), _socket);
        var writer = WriteLoopAsync();
        var reader = ReadLoopAsync();
        var closing = await _closing.Task;
        _services.Logger.Closing(Id, closing.Reason);

        LiveSubscription[] subscriptions;
        lock (_lock)
        {
            subscriptions = [.. _subscriptions.Values];
            _subscriptions.Clear();
        }
        foreach (var subscription in subscriptions)
        {
            subscription.Stop();
        }
        _outbound.Writer.TryComplete();

        // Past this, a stuck send or a peer that never answers the close is cut off.
        _abort.CancelAfter(_services.Options.CloseTimeout);
        await writer;
        if (closing.Status is { } status && _socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            try
            {
                await _socket.CloseOutputAsync(status, closing.Reason, _abort.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
            {
                _socket.Abort();
            }
        }
        else if (closing.Status is null)
        {
            _socket.Abort();
        }
        try
        {
            await reader.WaitAsync(_abort.Token);
        }
        catch (OperationCanceledException)
        {
            _socket.Abort();
        }
        _abort.Dispose();
        return closing.Reason;
    }

    /// <summary>Starts closing the socket (first caller wins); a null status aborts it without a close frame.</summary>
    public void Close(WebSocketCloseStatus? status, string reason) => _closing.TrySetResult(new Closing(status, reason));

    /// <summary>Queues a message without waiting; a full queue closes the socket (the client reads too slowly).</summary>
    public bool TryEnqueue(byte[] prefix, byte[]? body)
    {
        if (_outbound.Writer.TryWrite(new Frame(prefix, body)))
        {
            return true;
        }
        Close(WebSocketCloseStatus.PolicyViolation, SendQueueFull);
        return false;
    }

    /// <summary>Queues a message, waiting for room (replays and acknowledgements, produced at this socket's pace).</summary>
    public ValueTask EnqueueAsync(byte[] prefix, byte[]? body, CancellationToken cancellationToken) =>
        _outbound.Writer.WriteAsync(new Frame(prefix, body), cancellationToken);

    /// <summary>Forgets a subscription that ended by itself (a failed replay).</summary>
    public void Forget(LiveSubscription subscription)
    {
        lock (_lock)
        {
            if (_subscriptions.TryGetValue(subscription.Id, out var current) && ReferenceEquals(current, subscription))
            {
                _subscriptions.Remove(subscription.Id);
            }
        }
    }

    private async Task WriteLoopAsync()
    {
        var batchBytes = _stream is null ? 0 : _services.Options.MaxBatchBytes;
        try
        {
            while (await _outbound.Reader.WaitToReadAsync())
            {
                if (batchBytes > 0)
                {
                    // What is queued now goes out in one write to the transport (up to MaxBatchBytes): under a burst of
                    // events that is one send call and one segment per socket instead of one per event.
                    _stream!.BeginBatch();
                    try
                    {
                        await DrainAsync(batchBytes);
                    }
                    finally
                    {
                        await _stream.EndBatchAsync(CancellationToken.None);
                    }
                }
                else
                {
                    await DrainAsync(int.MaxValue);
                }
                if (_closing.Task.IsCompleted)
                {
                    return; // What is still queued is dropped: the socket is closing.
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // ObjectDisposedException: the batch's write reached a transport the abort had already torn down.
            Close(null, "send_failed");
        }
    }

    /// <summary>Sends queued messages until the queue is empty, the socket is closing or <paramref name="maxHeld"/> bytes are held.</summary>
    private async ValueTask DrainAsync(int maxHeld)
    {
        while (!_closing.Task.IsCompleted && _outbound.Reader.TryRead(out var frame))
        {
            await SendAsync(frame);
            if (_stream is not null && _stream.Held >= maxHeld)
            {
                return;
            }
        }
    }

    private async ValueTask SendAsync(Frame frame)
    {
        if (frame.Body is null)
        {
            await _socket.SendAsync(frame.Prefix, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            return;
        }
        var length = frame.Prefix.Length + frame.Body.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            frame.Prefix.CopyTo(buffer, 0);
            frame.Body.CopyTo(buffer, frame.Prefix.Length);
            await _socket.SendAsync(buffer.AsMemory(0, length), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task ReadLoopAsync()
    {
        var max = _services.Options.MaxMessageBytes;
        var chunk = ArrayPool<byte>.Shared.Rent(ReceiveChunk);
        byte[]? message = null;
        var length = 0;
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(chunk.AsMemory(), _abort.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    Close(WebSocketCloseStatus.NormalClosure, "bye");
                    return;
                }
                if (_closing.Task.IsCompleted)
                {
                    continue; // Closing: input is read only to reach the client's close frame.
                }
                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    Close(WebSocketCloseStatus.InvalidMessageType, "text_only");
                    continue;
                }
                if (length + result.Count > max)
                {
                    Close(WebSocketCloseStatus.MessageTooBig, "message_too_big");
                    continue;
                }
                if (result.EndOfMessage && length == 0)
                {
                    Handle(chunk.AsMemory(0, result.Count));
                    continue;
                }
                if (message is null || message.Length < length + result.Count)
                {
                    var grown = ArrayPool<byte>.Shared.Rent(Math.Min(max, Math.Max(length + result.Count, (message?.Length ?? ReceiveChunk) * 2)));
                    if (message is not null)
                    {
                        message.AsSpan(0, length).CopyTo(grown);
                        ArrayPool<byte>.Shared.Return(message);
                    }
                    message = grown;
                }
                chunk.AsSpan(0, result.Count).CopyTo(message.AsSpan(length));
                length += result.Count;
                if (result.EndOfMessage)
                {
                    Handle(message.AsMemory(0, length));
                    length = 0;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            Close(null, "peer_lost");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
            if (message is not null)
            {
                ArrayPool<byte>.Shared.Return(message);
            }
        }
    }

    private readonly record struct Frame(byte[] Prefix, byte[]? Body);

    private sealed record Closing(WebSocketCloseStatus? Status, string Reason);
}

/// <summary>What every connection of the server shares.</summary>
internal sealed record LiveServices(LiveOptions Options, LiveHub Hub, IApexStore Store, LiveRouter Router, ILogger Logger);
