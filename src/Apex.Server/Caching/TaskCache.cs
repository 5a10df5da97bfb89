using Apex.Contracts.Tasks;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Apex.Server.Tasks;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Options;

namespace Apex.Server.Caching;

/// <summary>
/// <c>GET /api/v1/tasks/{id}</c> through <see cref="HybridCache"/> (memory, plus Redis in distributed mode). Only
/// finished tasks are kept; see docs/adr/0002-caching.md for why and for the guarantees.
/// </summary>
/// <remarks>
/// Two guards (state in <see cref="TaskCacheCoherence"/>) keep a read from answering with a state older than a write
/// acknowledged on this server:
/// <list type="bullet">
/// <item>Every cached entry carries the task's version, and every invalidation records the version that made it
/// stale: an entry below it is dropped and read again, so an entry written back by a load that raced the
/// invalidation is never served.</item>
/// <item>Reads of one task are coalesced, finished or not. A change clock per task ticks on every local write; a
/// caller that arrived after a tick that followed the start of the load it joined reads the store itself.</item>
/// </list>
/// </remarks>
internal sealed class TaskCache(HybridCache cache, IApexStore store, TaskCacheCoherence coherence, CacheMetrics metrics, IOptions<CacheOptions> options)
{
    /// <summary>The metric tag of this cache.</summary>
    public const string Name = "task";

    private readonly HybridCacheEntryOptions _entryOptions = new() { Expiration = options.Value.TaskTtl, LocalCacheExpiration = options.Value.TaskTtl };
    private readonly bool _enabled = options.Value.Enabled;

    /// <summary>The coherence state, for the write paths.</summary>
    public TaskCacheCoherence Coherence => coherence;

    /// <summary>The task, from the cache when it is finished and cached, else from the store; null when there is none.</summary>
    public async Task<TaskResponse?> GetAsync(string tenantId, Guid taskId, CancellationToken cancellationToken)
    {
        if (!_enabled)
        {
            return await LoadDirectAsync(tenantId, taskId, cancellationToken);
        }
        var read = new Read(this, tenantId, taskId, coherence.Clock(taskId));
        var key = TaskCacheCoherence.Key(tenantId, taskId);
        CachedTask entry;
        try
        {
            entry = await cache.GetOrCreateAsync(key, read, static (r, ct) => r.Cache.LoadAsync(r, ct), _entryOptions, cancellationToken: cancellationToken);
        }
        catch (UncachedTaskException uncached)
        {
            if (!read.Loaded)
            {
                metrics.Hit(Name);
            }
            // A load that began before a write this caller may have seen acknowledged is not good enough for it.
            return uncached.StartedAt >= read.ArrivedAt ? uncached.Task : await LoadDirectAsync(tenantId, taskId, cancellationToken);
        }
        if (entry.Version < coherence.StaleBelow(tenantId, taskId))
        {
            await coherence.RemoveAsync(key);
            return await LoadDirectAsync(tenantId, taskId, cancellationToken);
        }
        if (!read.Loaded)
        {
            metrics.Hit(Name);
        }
        return entry.Task;
    }

    private async ValueTask<CachedTask> LoadAsync(Read read, CancellationToken cancellationToken)
    {
        read.Loaded = true;
        var startedAt = coherence.Clock(read.TaskId);
        metrics.Miss(Name);
        var task = await store.GetTaskAsync(read.TenantId, read.TaskId, cancellationToken);
        if (task is null || !task.Status.IsTerminal() || task.Version < coherence.StaleBelow(read.TenantId, read.TaskId))
        {
            // Thrown, not returned: HybridCache stores whatever a factory returns, and hands this to every joined caller.
            throw new UncachedTaskException(task?.ToResponse(), startedAt);
        }
        return new CachedTask(task.ToResponse(), task.Version);
    }

    private async Task<TaskResponse?> LoadDirectAsync(string tenantId, Guid taskId, CancellationToken cancellationToken)
    {
        metrics.Miss(Name);
        return (await store.GetTaskAsync(tenantId, taskId, cancellationToken))?.ToResponse();
    }

    /// <summary>One caller's read; the factory sees the state of the caller that started it.</summary>
    private sealed class Read(TaskCache cache, string tenantId, Guid taskId, long arrivedAt)
    {
        public TaskCache Cache { get; } = cache;

        public string TenantId { get; } = tenantId;

        public Guid TaskId { get; } = taskId;

        public long ArrivedAt { get; } = arrivedAt;

        public bool Loaded { get; set; }
    }
}

/// <summary>A read whose result must not be cached: no such task, a task still in progress, or a row already stale.</summary>
/// <param name="task">What the store returned.</param>
/// <param name="startedAt">The change clock when the read began.</param>
internal sealed class UncachedTaskException(TaskResponse? task, long startedAt) : Exception("The task is not cacheable.")
{
    /// <summary>What the store returned.</summary>
    public TaskResponse? Task { get; } = task;

    /// <summary>The change clock when the read began.</summary>
    public long StartedAt { get; } = startedAt;
}
