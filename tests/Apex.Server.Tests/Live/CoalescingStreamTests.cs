using System.Net.WebSockets;
using System.Text;
using Apex.Server.Live;
using Xunit;

namespace Apex.Server.Tests.Live;

/// <summary>The stream under a live socket: held writes leave in one transport write, and nothing is reordered or split.</summary>
public sealed class CoalescingStreamTests
{
    [Fact]
    public async Task Batch_OfThreeWebSocketMessages_LeavesInOneTransportWriteThatAClientReadsAsThreeMessages()
    {
        var ct = TestContext.Current.CancellationToken;
        var transport = new RecordingStream();
        var stream = new CoalescingStream(transport);
        using var server = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true });

        stream.BeginBatch();
        foreach (var text in new[] { "one", "two", "three" })
        {
            await server.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, ct);
        }
        Assert.Empty(transport.Writes);
        Assert.True(stream.Held > 0);
        await stream.EndBatchAsync(ct);

        var write = Assert.Single(transport.Writes);
        Assert.Equal(0, stream.Held);
        using var client = WebSocket.CreateFromStream(new MemoryStream(write), new WebSocketCreationOptions { IsServer = false });
        Assert.Equal(["one", "two", "three"], [await ReceiveTextAsync(client, ct), await ReceiveTextAsync(client, ct), await ReceiveTextAsync(client, ct)]);
    }

    [Fact]
    public async Task Writes_OutsideABatch_GoStraightThroughEachOnItsOwn()
    {
        var ct = TestContext.Current.CancellationToken;
        var transport = new RecordingStream();
        var stream = new CoalescingStream(transport);

        await stream.WriteAsync("ab"u8.ToArray(), ct);
        await stream.WriteAsync("cd"u8.ToArray(), ct);
        stream.BeginBatch();
        await stream.EndBatchAsync(ct);

        Assert.Equal(["ab", "cd"], transport.Writes.Select(w => Encoding.ASCII.GetString(w)));
    }

    [Fact]
    public async Task ControlFrame_WrittenWhileABatchIsOpen_LeavesWithTheBatchInOrder_AndLaterWritesPassAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        var transport = new RecordingStream();
        var stream = new CoalescingStream(transport);

        stream.BeginBatch();
        await stream.WriteAsync("event-1|"u8.ToArray(), ct);
        // What the WebSocket writes by itself (a pong, from another thread) between two of the writer loop's messages.
        await Task.Run(async () => await stream.WriteAsync("pong|"u8.ToArray(), ct), ct);
        await stream.WriteAsync("event-2|"u8.ToArray(), ct);
        await stream.EndBatchAsync(ct);
        await stream.WriteAsync("close"u8.ToArray(), ct);

        Assert.Equal(["event-1|pong|event-2|", "close"], transport.Writes.Select(w => Encoding.ASCII.GetString(w)));
    }

    [Fact]
    public async Task Batch_LargerThanTheFirstBuffer_IsHeldWhole()
    {
        var ct = TestContext.Current.CancellationToken;
        var transport = new RecordingStream();
        var stream = new CoalescingStream(transport);
        var chunks = Enumerable.Range(0, 50).Select(i => Enumerable.Repeat((byte)('a' + (i % 26)), 1000).ToArray()).ToList();

        stream.BeginBatch();
        foreach (var chunk in chunks)
        {
            await stream.WriteAsync(chunk, ct);
        }
        Assert.Equal(50_000, stream.Held);
        await stream.EndBatchAsync(ct);

        Assert.Equal(chunks.SelectMany(c => c).ToArray(), Assert.Single(transport.Writes));
    }

    private static async Task<string> ReceiveTextAsync(WebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[256];
        var result = await socket.ReceiveAsync(buffer, ct);
        Assert.True(result.EndOfMessage);
        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        return Encoding.UTF8.GetString(buffer, 0, result.Count);
    }

    /// <summary>A transport that keeps each write as it came (one entry per write call); nothing to read.</summary>
    private sealed class RecordingStream : Stream
    {
        public List<byte[]> Writes { get; } = [];

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            lock (Writes)
            {
                Writes.Add(buffer.ToArray());
            }
            return ValueTask.CompletedTask;
        }

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => 0;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
