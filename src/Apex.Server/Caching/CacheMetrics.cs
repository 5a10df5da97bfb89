using System.Diagnostics.Metrics;

namespace Apex.Server.Caching;

/// <summary>
/// Hit and miss counters of the read caches (meter <c>Apex.Server.Cache</c>; Prometheus names
/// <c>apex_cache_hits_total</c> and <c>apex_cache_misses_total</c>, tagged <c>cache</c> = <c>task</c> or <c>health</c>).
/// A miss is one read of the store (coalesced: concurrent misses of one key count once).
/// </summary>
internal sealed class CacheMetrics
{
    /// <summary>Meter name.</summary>
    public const string MeterName = "Apex.Server.Cache";

    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;

    public CacheMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _hits = meter.CreateCounter<long>("apex.cache.hits", description: "Reads answered from the cache.");
        _misses = meter.CreateCounter<long>("apex.cache.misses", description: "Reads that went to the store.");
    }

    public void Hit(string cache) => _hits.Add(1, new KeyValuePair<string, object?>("cache", cache));

    public void Miss(string cache) => _misses.Add(1, new KeyValuePair<string, object?>("cache", cache));
}
