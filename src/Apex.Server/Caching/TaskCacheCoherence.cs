using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Apex.Server.Caching;

/// <summary>
/// What keeps <see cref="TaskCache"/> from answering with a state older than a write acknowledged on this server: the
/// version below which a cached task is stale, and a change clock per task. Fed by the API's own writes, by the
/// committed events this server publishes and, in distributed mode, by the other servers' invalidations.
/// </summary>
/// <remarks>Separate from <see cref="TaskCache"/> because the store's event bus needs it, and the cache needs the store.</remarks>
internal sealed partial class TaskCacheCoherence : IDisposable
{
    private const int Stripes = 1024;

    private readonly HybridCache _cache;
    private readonly TimeSpan _remember;
    private readonly ILogger<TaskCacheCoherence> _logger;
    private readonly MemoryCache _staleBelow = new(new MemoryCacheOptions());
    private readonly long[] _clock = new long[Stripes];
    private long _globalClock;

    public TaskCacheCoherence(HybridCache cache, IOptions<CacheOptions> options, ILogger<TaskCacheCoherence> logger)
    {
        _cache = cache;
        _logger = logger;
        // Kept a little longer than any entry it may have to reject.
        _remember = options.Value.TaskTtl + TimeSpan.FromMinutes(1);
    }

    /// <summary>The cache key of a task.</summary>
    public static string Key(string tenantId, Guid taskId) => string.Concat("task:", tenantId, ":", taskId.ToString("D"));

    /// <summary>
    /// Forgets a task whose row reached <paramref name="version"/> by a change that may apply to a finished task
    /// (retry, late result): here, in memory and in Redis. Entries read below that version are never served again.
    /// The returned task never fails.
    /// </summary>
    public Task Invalidate(string tenantId, Guid taskId, int version)
    {
        var key = Key(tenantId, taskId);
        lock (_staleBelow)
        {
            var known = _staleBelow.TryGetValue(key, out int previous) ? previous : 0;
            _staleBelow.Set(key, Math.Max(known, version), _remember);
        }
        Changed(taskId);
        return RemoveAsync(key);
    }

    /// <summary>The version below which a cached copy of the task is stale (0 when none is known).</summary>
    public int StaleBelow(string tenantId, Guid taskId) => _staleBelow.TryGetValue(Key(tenantId, taskId), out int version) ? version : 0;

    /// <summary>Notes a change of a task, so reads that began before it are not handed to callers that came after it.</summary>
    public void Changed(Guid taskId) => Interlocked.Increment(ref _clock[Stripe(taskId)]);

    /// <summary>Notes a change of tasks not known by id (a DAG cancelled).</summary>
    public void ChangedAll() => Interlocked.Increment(ref _globalClock);

    /// <summary>The change clock of a task: it only grows, and grows with every change of the task.</summary>
    public long Clock(Guid taskId) => Volatile.Read(ref _clock[Stripe(taskId)]) + Volatile.Read(ref _globalClock);

    /// <summary>Removes a key from both levels; never fails.</summary>
    public async Task RemoveAsync(string key)
    {
        try
        {
            await _cache.RemoveAsync(key, CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Redis (L2) unreachable: the memory copy is gone already, and the version guard rejects a stale copy read
            // back from Redis.
            LogRemoveFailed(e, key);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _staleBelow.Dispose();

    private static int Stripe(Guid taskId) => (int)((uint)taskId.GetHashCode() % Stripes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove {Key} from the distributed cache.")]
    private partial void LogRemoveFailed(Exception exception, string key);
}
