using System.Buffers;
using Microsoft.AspNetCore.Http.Features;

namespace Apex.Server.Live;

/// <summary>
/// The upgraded connection under one WebSocket, able to hold the frames of several messages and write them to the
/// transport at once: one send call and one TCP segment per batch instead of one per message, on this side and on the
/// client's. Between batches every write goes straight through, so control frames the WebSocket writes by itself (pong,
/// keep-alive ping, close) are never held longer than the batch being written.
/// </summary>
/// <remarks>
/// Writes to the transport are serialized by a gate: the socket's writer loop (<see cref="EndBatchAsync"/>) and the
/// WebSocket's own control frames may come from different threads. Reads pass straight through.
/// </remarks>
internal sealed class CoalescingStream(Stream inner) : Stream
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private byte[] _buffer = [];
    private int _length;
    private bool _holding;

    /// <summary>Bytes held for the batch being written.</summary>
    public int Held => Volatile.Read(ref _length);

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>From here until <see cref="EndBatchAsync"/>, writes are held (a write already under way finishes first).</summary>
    public void BeginBatch() => Volatile.Write(ref _holding, true);

    /// <summary>Writes what was held in one write to the transport and lets writes through again.</summary>
    public async ValueTask EndBatchAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _holding = false;
            if (_length > 0)
            {
                await inner.WriteAsync(_buffer.AsMemory(0, _length), cancellationToken);
            }
        }
        finally
        {
            _length = 0;
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = [];
            }
            _gate.Release();
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_holding)
            {
                Hold(buffer.Span);
                return;
            }
            await inner.WriteAsync(buffer, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override ValueTask DisposeAsync() => inner.DisposeAsync();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }

    private void Hold(ReadOnlySpan<byte> data)
    {
        if (_buffer.Length - _length < data.Length)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(_length + data.Length, Math.Max(4096, _buffer.Length * 2)));
            _buffer.AsSpan(0, _length).CopyTo(grown);
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
            }
            _buffer = grown;
        }
        data.CopyTo(_buffer.AsSpan(_length));
        _length += data.Length;
    }
}

/// <summary>Hands the WebSocket middleware a <see cref="CoalescingStream"/> over the upgraded connection.</summary>
internal sealed class CoalescingUpgradeFeature(IHttpUpgradeFeature inner) : IHttpUpgradeFeature
{
    public bool IsUpgradableRequest => inner.IsUpgradableRequest;

    /// <summary>The stream the WebSocket was made on, once upgraded.</summary>
    public CoalescingStream? Stream { get; private set; }

    public async Task<Stream> UpgradeAsync()
    {
        Stream = new CoalescingStream(await inner.UpgradeAsync());
        return Stream;
    }
}
