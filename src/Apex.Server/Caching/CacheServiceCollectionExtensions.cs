using Apex.Core.Events;
using Apex.Redis;
using Apex.Server.Caching;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the read caches of the API host.</summary>
internal static class CacheServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="HybridCache"/> (memory; with Redis as its second level, on a connection of its own, when
    /// <paramref name="distributed"/>), the task and health caches, and the invalidation of
    /// tasks on every committed change: wraps the registered <see cref="IEventBus"/>, so call it after the store,
    /// engine and distributed registrations.
    /// </summary>
    public static IServiceCollection AddApexCaching(this IServiceCollection services, IConfiguration configuration, bool distributed)
    {
        services.AddOptions<CacheOptions>().Bind(configuration.GetSection(CacheOptions.Section)).ValidateDataAnnotations()
            .Validate(o => o.TaskTtl > TimeSpan.Zero && o.HealthTtl >= TimeSpan.Zero && o.RedisTimeout >= TimeSpan.FromMilliseconds(10),
                "Apex:Cache:TaskTtl must be positive, HealthTtl ≥ 0 and RedisTimeout ≥ 10 ms.")
            .ValidateOnStart();
        services.AddOptions<MemoryCacheOptions>().Configure<IOptions<CacheOptions>>((memory, cache) => memory.SizeLimit = cache.Value.MaxMemoryBytes);
        services.AddOptions<HybridCacheOptions>().Configure<IOptions<CacheOptions>>((hybrid, cache) =>
        {
            hybrid.MaximumPayloadBytes = cache.Value.MaxEntryBytes;
            hybrid.DefaultEntryOptions = new HybridCacheEntryOptions { Expiration = cache.Value.TaskTtl, LocalCacheExpiration = cache.Value.TaskTtl };
        });
        services.AddHybridCache()
            .AddSerializer<CachedTask, CachedTaskSerializer>()
            .AddSerializer<CachedHealth, CachedHealthSerializer>();
        if (distributed)
        {
            // Its own, shorter timeout keeps a read from waiting long on an unreachable Redis before it falls back to the store.
            services.AddApexRedisDistributedCache(configuration, sp => sp.GetRequiredService<IOptions<CacheOptions>>().Value.RedisTimeout);
            services.TryAddSingleton<RedisCacheInvalidationRelay>();
            services.TryAddSingleton<ICacheInvalidationPublisher>(sp => sp.GetRequiredService<RedisCacheInvalidationRelay>());
            services.AddHostedService(sp => sp.GetRequiredService<RedisCacheInvalidationRelay>());
        }
        else
        {
            services.TryAddSingleton<ICacheInvalidationPublisher, LocalOnlyInvalidation>();
        }
        services.TryAddSingleton<CacheMetrics>();
        services.TryAddSingleton<TaskCacheCoherence>();
        services.TryAddSingleton<TaskCache>();
        services.TryAddSingleton<HealthCache>();

        var bus = services.Last(d => d.ServiceType == typeof(IEventBus));
        services.Remove(bus);
        services.AddSingleton<IEventBus>(sp => new InvalidatingEventBus(Resolve<IEventBus>(sp, bus), sp.GetRequiredService<TaskCacheCoherence>(),
            sp.GetRequiredService<ICacheInvalidationPublisher>()));
        return services;
    }

    /// <summary>What <paramref name="descriptor"/> provides: the way to wrap a registered service in a decorator.</summary>
    internal static T Resolve<T>(IServiceProvider services, ServiceDescriptor descriptor) where T : class =>
        (T)(descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.GetServiceOrCreateInstance(services, descriptor.ImplementationType!));
}
