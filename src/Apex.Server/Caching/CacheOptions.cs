using System.ComponentModel.DataAnnotations;

namespace Apex.Server.Caching;

/// <summary>The read caches of the API server (configuration section <c>Apex:Cache</c>); see docs/adr/0002-caching.md.</summary>
public sealed class CacheOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Cache";

    /// <summary>Serve <c>GET /api/v1/tasks/{id}</c> and <c>GET /health</c> through the cache (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// How long a finished task stays cached, in memory and in Redis (default 5 min, the seed's TTL). Only finished
    /// tasks are cached; a manual retry or a late result evicts them at once, so the TTL bounds memory, not staleness.
    /// </summary>
    public TimeSpan TaskTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long the detailed health document is reused (default 1 s), so a storm of health checks costs one store ping a second.</summary>
    public TimeSpan HealthTtl { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Distributed mode: how long a read or write of the Redis level may take (default 1 s); past it the read falls
    /// back to the store. The cache has its own Redis connection, so this does not touch dispatch.
    /// </summary>
    public TimeSpan RedisTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest cached entry in bytes once serialized (default 1 MiB); a larger task is read from the store each time.</summary>
    [Range(1024, int.MaxValue)]
    public int MaxEntryBytes { get; set; } = 1 << 20;

    /// <summary>Most bytes the in-memory cache holds, summed over its entries' serialized sizes (default 64 MiB).</summary>
    [Range(1 << 16, long.MaxValue)]
    public long MaxMemoryBytes { get; set; } = 64L << 20;
}
