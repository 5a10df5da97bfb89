using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Apex.Server.Tests.Hardening;

/// <summary>
/// HTTP/1.1 written by hand over a real socket: a request sent slowly, in parts, or never in full, which
/// <see cref="HttpClient"/> cannot do. Reads one response (Content-Length, chunked, or up to the close).
/// </summary>
internal sealed class RawHttpConnection : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly List<byte> _received = [];
    private readonly byte[] _buffer = new byte[16 * 1024];

    private RawHttpConnection(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    /// <summary>Bytes written so far.</summary>
    public long BytesSent { get; private set; }

    public static async Task<RawHttpConnection> OpenAsync(Uri server, CancellationToken cancellationToken)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(server.Host, server.Port, cancellationToken);
        return new RawHttpConnection(client);
    }

    /// <summary>The request line and headers (with <c>Host</c>), ending the head.</summary>
    public static string Head(string method, string path, params string[] headers) =>
        $"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{string.Concat(headers.Select(h => h + "\r\n"))}\r\n";

    public Task SendAsync(string text, CancellationToken cancellationToken) => SendAsync(Encoding.UTF8.GetBytes(text), cancellationToken);

    public async Task SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await _stream.WriteAsync(bytes, cancellationToken);
        BytesSent += bytes.Length;
    }

    /// <summary>One chunk of a chunked body (an empty one ends it).</summary>
    public async Task SendChunkAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await SendAsync(string.Create(CultureInfo.InvariantCulture, $"{bytes.Length:x}\r\n"), cancellationToken);
        await SendAsync(bytes, cancellationToken);
        await SendAsync("\r\n", cancellationToken);
    }

    /// <summary>The next response; null when the server closed the connection without one.</summary>
    public async Task<RawHttpResponse?> ReadResponseAsync(CancellationToken cancellationToken)
    {
        int headEnd;
        while ((headEnd = IndexOf("\r\n\r\n"u8, 0)) < 0)
        {
            if (!await ReceiveAsync(cancellationToken))
            {
                return null;
            }
        }
        var head = Encoding.ASCII.GetString([.. _received.Take(headEnd)]).Split("\r\n");
        var status = int.Parse(head[0].Split(' ')[1], CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in head.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        var start = headEnd + 4;
        byte[] body;
        int end;
        if (headers.TryGetValue("Content-Length", out var length))
        {
            var count = int.Parse(length, CultureInfo.InvariantCulture);
            while (_received.Count < start + count && await ReceiveAsync(cancellationToken))
            {
            }
            body = [.. _received.Skip(start).Take(count)];
            end = Math.Min(_received.Count, start + count);
        }
        else if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            (body, end) = await ReadChunkedAsync(start, cancellationToken);
        }
        else
        {
            while (await ReceiveAsync(cancellationToken))
            {
            }
            body = [.. _received.Skip(start)];
            end = _received.Count;
        }
        _received.RemoveRange(0, end);
        return new RawHttpResponse(status, headers, Encoding.UTF8.GetString(body));
    }

    /// <summary>Whether the server closes the connection (end of stream or reset) within <paramref name="within"/>; bytes it sends first are ignored.</summary>
    public async Task<bool> ClosedWithinAsync(TimeSpan within, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(within);
        try
        {
            while (await ReceiveAsync(timeout.Token))
            {
            }
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<(byte[] Body, int End)> ReadChunkedAsync(int start, CancellationToken cancellationToken)
    {
        var body = new List<byte>();
        var position = start;
        while (true)
        {
            int lineEnd;
            while ((lineEnd = IndexOf("\r\n"u8, position)) < 0)
            {
                if (!await ReceiveAsync(cancellationToken))
                {
                    return ([.. body], _received.Count);
                }
            }
            var size = int.Parse(Encoding.ASCII.GetString([.. _received.Skip(position).Take(lineEnd - position)]).Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            position = lineEnd + 2;
            while (_received.Count < position + size + 2)
            {
                if (!await ReceiveAsync(cancellationToken))
                {
                    return ([.. body], _received.Count);
                }
            }
            if (size == 0)
            {
                return ([.. body], position + 2);
            }
            body.AddRange(_received.Skip(position).Take(size));
            position += size + 2;
        }
    }

    /// <summary>Reads what has arrived; false at the end of the stream or on a reset.</summary>
    private async Task<bool> ReceiveAsync(CancellationToken cancellationToken)
    {
        int read;
        try
        {
            read = await _stream.ReadAsync(_buffer, cancellationToken);
        }
        catch (IOException)
        {
            return false;
        }
        _received.AddRange(_buffer.AsSpan(0, read));
        return read > 0;
    }

    private int IndexOf(ReadOnlySpan<byte> value, int from)
    {
        for (var i = from; i <= _received.Count - value.Length; i++)
        {
            var match = true;
            for (var j = 0; j < value.Length && match; j++)
            {
                match = _received[i + j] == value[j];
            }
            if (match)
            {
                return i;
            }
        }
        return -1;
    }
}
