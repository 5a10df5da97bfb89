using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Apex.Server.Tests.Live;

/// <summary>A WebSocket client of <c>/api/v1/ws</c> speaking the documented JSON (docs/websocket.md).</summary>
internal sealed class LiveClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly HttpMessageInvoker? _invoker;
    private readonly byte[] _buffer = new byte[64 * 1024];

    private LiveClient(ClientWebSocket socket, HttpMessageInvoker? invoker)
    {
        _socket = socket;
        _invoker = invoker;
    }

    public WebSocket Socket => _socket;

    /// <summary>
    /// Connects; <paramref name="receiveBufferBytes"/> shrinks the kernel's receive buffer (a client that stops reading then
    /// blocks the server soon); <paramref name="bearer"/> is sent as the <c>Authorization</c> header.
    /// </summary>
    public static async Task<LiveClient> ConnectAsync(Uri uri, CancellationToken cancellationToken, string? origin = null, int? receiveBufferBytes = null,
        string? bearer = null)
    {
        var socket = new ClientWebSocket();
        if (bearer is not null)
        {
            socket.Options.SetRequestHeader("Authorization", $"Bearer {bearer}");
        }
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }
        HttpMessageInvoker? invoker = null;
        if (receiveBufferBytes is { } size)
        {
            invoker = new HttpMessageInvoker(new SocketsHttpHandler
            {
                ConnectCallback = async (context, ct) =>
                {
                    var tcp = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = size };
                    try
                    {
                        await tcp.ConnectAsync(context.DnsEndPoint, ct);
                        return new NetworkStream(tcp, ownsSocket: true);
                    }
                    catch
                    {
                        tcp.Dispose();
                        throw;
                    }
                },
            });
        }
        try
        {
            await socket.ConnectAsync(uri, invoker, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            invoker?.Dispose();
            throw;
        }
        return new LiveClient(socket, invoker);
    }

    public Task SendAsync(string json, CancellationToken cancellationToken) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);

    public Task SubscribeAsync(string id, string channel, CancellationToken cancellationToken, string? filter = null, long? since = null) =>
        SendAsync($$"""{"type":"subscribe","id":"{{id}}","channel":"{{channel}}"{{(filter is null ? "" : $",\"filter\":{filter}")}}{{(since is null ? "" : $",\"since\":{since}")}}}""",
            cancellationToken);

    /// <summary>The next message, or null once the server closed the socket.</summary>
    public async Task<JsonElement?> ReceiveAsync(CancellationToken cancellationToken)
    {
        var length = 0;
        while (true)
        {
            var result = await _socket.ReceiveAsync(_buffer.AsMemory(length), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            length += result.Count;
            if (result.EndOfMessage)
            {
                using var document = JsonDocument.Parse(_buffer.AsMemory(0, length));
                return document.RootElement.Clone();
            }
        }
    }

    /// <summary>Reads until a message of <paramref name="type"/> (returned); the ones before it go to <paramref name="skipped"/>.</summary>
    public async Task<JsonElement> ReceiveUntilAsync(string type, CancellationToken cancellationToken, List<JsonElement>? skipped = null)
    {
        while (true)
        {
            var message = await ReceiveAsync(cancellationToken) ?? throw new InvalidOperationException($"Closed ({_socket.CloseStatus} {_socket.CloseStatusDescription}) before a '{type}' message.");
            if (message.GetProperty("type").GetString() == type)
            {
                return message;
            }
            skipped?.Add(message);
        }
    }

    /// <summary>Reads and drops messages until the server closes; returns how it closed.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Reason)> ReceiveCloseAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await ReceiveAsync(cancellationToken) is not null)
            {
            }
        }
        catch (WebSocketException)
        {
            return (null, "aborted"); // The server cut the connection off without a close frame.
        }
        return (_socket.CloseStatus, _socket.CloseStatusDescription);
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // Already gone.
            }
        }
        _socket.Dispose();
        _invoker?.Dispose();
    }
}
