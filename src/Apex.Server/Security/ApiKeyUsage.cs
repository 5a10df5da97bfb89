using System.Collections.Concurrent;

namespace Apex.Server.Security;

/// <summary>
/// When each key was last used, in memory: a request costs a dictionary read and a field write; <see cref="ApiKeyUsageWriter"/>
/// writes what changed once per <c>Apex:Auth:LastUsedInterval</c>.
/// </summary>
internal sealed class ApiKeyUsage(TimeProvider time)
{
    private readonly ConcurrentDictionary<Guid, Entry> _keys = new();

    public void Record(Guid keyId)
    {
        var now = time.GetUtcNow().UtcTicks;
        var entry = _keys.TryGetValue(keyId, out var found) ? found : _keys.GetOrAdd(keyId, static _ => new Entry());
        Volatile.Write(ref entry.UsedTicks, now);
    }

    /// <summary>The keys used since the last call, marked written.</summary>
    public List<(Guid KeyId, DateTimeOffset UsedAt)> TakeChanged()
    {
        var changed = new List<(Guid, DateTimeOffset)>();
        foreach (var (id, entry) in _keys)
        {
            var used = Volatile.Read(ref entry.UsedTicks);
            if (used > entry.WrittenTicks)
            {
                entry.WrittenTicks = used;
                changed.Add((id, new DateTimeOffset(used, TimeSpan.Zero)));
            }
        }
        return changed;
    }

    /// <summary>A write failed: these go out again next time.</summary>
    public void Unwritten(IEnumerable<(Guid KeyId, DateTimeOffset UsedAt)> uses)
    {
        foreach (var (id, _) in uses)
        {
            if (_keys.TryGetValue(id, out var entry))
            {
                entry.WrittenTicks = 0;
            }
        }
    }

    private sealed class Entry
    {
        public long UsedTicks;
        public long WrittenTicks;
    }
}
