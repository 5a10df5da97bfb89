using System.Buffers;
using System.ComponentModel;
using System.Text.Json;
using Apex.Contracts;
using Apex.Contracts.Health;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Options;

namespace Apex.Server.Caching;

/// <summary>A health document and the status code it is served with. Never mutated once built.</summary>
/// <param name="Body">The document.</param>
/// <param name="StatusCode">200, or 503 when the store is unreachable.</param>
[ImmutableObject(true)]
internal sealed record CachedHealth(HealthResponse Body, int StatusCode);

/// <summary>
/// The detailed health document, reused for <see cref="CacheOptions.HealthTtl"/> in this process only (it describes
/// this server), so a storm of health checks costs one store ping per TTL; concurrent misses share one computation.
/// </summary>
internal sealed class HealthCache(HybridCache cache, CacheMetrics metrics, IOptions<CacheOptions> options)
{
    /// <summary>The metric tag and cache key.</summary>
    public const string Name = "health";

    private readonly HybridCacheEntryOptions _entryOptions = new()
    {
        Expiration = options.Value.HealthTtl,
        LocalCacheExpiration = options.Value.HealthTtl,
        Flags = HybridCacheEntryFlags.DisableDistributedCache,
    };

    private readonly bool _enabled = options.Value.Enabled && options.Value.HealthTtl > TimeSpan.Zero;

    /// <summary>The cached document, or a fresh one from <paramref name="compute"/>.</summary>
    public async Task<CachedHealth> GetAsync(Func<CancellationToken, Task<CachedHealth>> compute, CancellationToken cancellationToken)
    {
        if (!_enabled)
        {
            metrics.Miss(Name);
            return await compute(cancellationToken);
        }
        var computed = false;
        var result = await cache.GetOrCreateAsync(Name, async ct =>
        {
            computed = true;
            metrics.Miss(Name);
            return await compute(ct);
        }, _entryOptions, cancellationToken: cancellationToken);
        if (!computed)
        {
            metrics.Hit(Name);
        }
        return result;
    }
}

/// <summary>Serializes <see cref="CachedHealth"/> with the API's source-generated JSON (HybridCache measures entries by it).</summary>
internal sealed class CachedHealthSerializer : IHybridCacheSerializer<CachedHealth>
{
    public CachedHealth Deserialize(ReadOnlySequence<byte> source)
    {
        var reader = new Utf8JsonReader(source);
        var body = JsonSerializer.Deserialize(ref reader, ApexJsonContext.Default.HealthResponse) ?? throw new JsonException("A cached health entry holds null.");
        return new CachedHealth(body, body.Status == "unhealthy" ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
    }

    public void Serialize(CachedHealth value, IBufferWriter<byte> target)
    {
        using var writer = new Utf8JsonWriter(target);
        JsonSerializer.Serialize(writer, value.Body, ApexJsonContext.Default.HealthResponse);
    }
}
