using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Options;

namespace Apex.Agents.Tools;

/// <summary>
/// The scratchpads of embedded mode, in this process. A scratchpad unused for <see cref="ScratchpadOptions.Ttl"/> is
/// dropped by the next write that finds it expired, so finished DAGs do not pile up.
/// </summary>
internal sealed class InMemoryScratchpad(IOptions<ScratchpadOptions> options, TimeProvider timeProvider) : IScratchpad
{
    private readonly ScratchpadOptions _options = options.Value;
    private readonly ConcurrentDictionary<ScratchpadScope, Pad> _pads = new();
    private long _nextSweep;

    public Task<string?> ReadAsync(ScratchpadScope scope, string key, CancellationToken cancellationToken = default)
    {
        if (!_pads.TryGetValue(scope, out var pad))
        {
            return Task.FromResult<string?>(null);
        }
        lock (pad)
        {
            return Task.FromResult(pad.IsExpired(Now) ? null : pad.Values.GetValueOrDefault(key));
        }
    }

    public Task<ScratchpadWrite> WriteAsync(ScratchpadScope scope, string key, string value, CancellationToken cancellationToken = default)
    {
        var now = Now;
        SweepIfDue(now);
        while (true)
        {
            var pad = _pads.GetOrAdd(scope, static (_, expiresAt) => new Pad { ExpiresAt = expiresAt }, now + _options.Ttl.Ticks);
            lock (pad)
            {
                if (pad.Removed)
                {
                    continue; // swept between GetOrAdd and lock: add a fresh one
                }
                if (pad.IsExpired(now))
                {
                    pad.Values.Clear();
                    pad.Bytes = 0;
                }
                var old = pad.Values.GetValueOrDefault(key);
                if (old is null && pad.Values.Count >= _options.MaxKeys)
                {
                    return Task.FromResult(ScratchpadWrite.TooManyKeys);
                }
                var entryBytes = Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value);
                var bytes = pad.Bytes - (old is null ? 0 : Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(old)) + entryBytes;
                if (bytes > _options.MaxBytes)
                {
                    return Task.FromResult(ScratchpadWrite.TooLarge);
                }
                pad.Values[key] = value;
                pad.Bytes = bytes;
                pad.ExpiresAt = now + _options.Ttl.Ticks;
                return Task.FromResult(ScratchpadWrite.Ok);
            }
        }
    }

    public Task<IReadOnlyList<string>> ListAsync(ScratchpadScope scope, CancellationToken cancellationToken = default)
    {
        if (!_pads.TryGetValue(scope, out var pad))
        {
            return Task.FromResult<IReadOnlyList<string>>([]);
        }
        lock (pad)
        {
            IReadOnlyList<string> keys = pad.IsExpired(Now) ? [] : [.. pad.Values.Keys.Order(StringComparer.Ordinal)];
            return Task.FromResult(keys);
        }
    }

    private long Now => timeProvider.GetUtcNow().UtcTicks;

    private void SweepIfDue(long now)
    {
        var due = Interlocked.Read(ref _nextSweep);
        if (now < due || Interlocked.CompareExchange(ref _nextSweep, now + (_options.Ttl.Ticks / 4), due) != due)
        {
            return;
        }
        foreach (var (scope, pad) in _pads)
        {
            lock (pad)
            {
                if (pad.IsExpired(now))
                {
                    pad.Removed = true;
                    _pads.TryRemove(scope, out _);
                }
            }
        }
    }

    private sealed class Pad
    {
        public Dictionary<string, string> Values { get; } = new(StringComparer.Ordinal);

        public long Bytes { get; set; }

        public long ExpiresAt { get; set; }

        public bool Removed { get; set; }

        public bool IsExpired(long now) => now >= ExpiresAt;
    }
}
