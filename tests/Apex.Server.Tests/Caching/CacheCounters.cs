using System.Diagnostics.Metrics;
using Apex.Server.Caching;
using Microsoft.Extensions.DependencyInjection;

namespace Apex.Server.Tests.Caching;

/// <summary>Counts the cache hits and misses (store reads) of one server, by cache, through its own meter factory.</summary>
internal sealed class CacheCounters : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _taskHits;
    private long _taskMisses;
    private long _healthMisses;

    public CacheCounters(IServiceProvider services)
    {
        var scope = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == CacheMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, scope))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var cache = "";
            foreach (var tag in tags)
            {
                if (tag.Key == "cache")
                {
                    cache = tag.Value as string ?? "";
                }
            }
            switch (instrument.Name, cache)
            {
                case ("apex.cache.hits", TaskCache.Name): Interlocked.Add(ref _taskHits, value); break;
                case ("apex.cache.misses", TaskCache.Name): Interlocked.Add(ref _taskMisses, value); break;
                case ("apex.cache.misses", HealthCache.Name): Interlocked.Add(ref _healthMisses, value); break;
                default: break;
            }
        });
        _listener.Start();
    }

    /// <summary>Task reads answered without a store read of their own.</summary>
    public long TaskHits => Interlocked.Read(ref _taskHits);

    /// <summary>Task reads that went to the store.</summary>
    public long TaskMisses => Interlocked.Read(ref _taskMisses);

    /// <summary>Health documents computed (each pings the store).</summary>
    public long HealthMisses => Interlocked.Read(ref _healthMisses);

    public void Dispose() => _listener.Dispose();
}
