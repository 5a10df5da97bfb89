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
    /// Adds <see cref="HybridCache"/> (memory; with Redis as its second level when <paramref name="distributed"/>, over
    /// the process's one <see cref="IConnectionMultiplexer"/>), the task and health caches, and the invalidation of
    /// tasks on every committed change: wraps the registered <see cref="IEventBus"/>, so call it after the store,
    /// engine and distributed registrations.
    /// </summary>
    public static IServiceCollection AddApexCaching(this IServiceCollection services, IConfiguration configuration, bool distributed)
    {
        services.AddOptions<CacheOptions>().Bind(configuration.GetSection(CacheOptions.Section)).ValidateDataAnnotations()
            .Validate(o => o.TaskTtl > TimeSpan.Zero && o.HealthTtl >= TimeSpan.Zero, "Apex:Cache:TaskTtl must be positive and HealthTtl ≥ 0.")
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
            services.AddStackExchangeRedisCache(_ => { });
            services.AddOptions<RedisCacheOptions>().Configure<IServiceProvider>((o, sp) =>
            {
                // The keys live beside the protocol's, under the same prefix; the multiplexer is the shared one.
                o.InstanceName = sp.GetRequiredService<IOptions<RedisOptions>>().Value.Prefix + ":cache:";
                o.ConnectionMultiplexerFactory = () => Task.FromResult(sp.GetRequiredService<IConnectionMultiplexer>());
            });
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

    private static T Resolve<T>(IServiceProvider services, ServiceDescriptor descriptor) where T : class =>
        (T)(descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.GetServiceOrCreateInstance(services, descriptor.ImplementationType!));
}
