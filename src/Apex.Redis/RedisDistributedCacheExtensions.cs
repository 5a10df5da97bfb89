using Apex.Redis;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Redis as the distributed cache, the second level of <c>HybridCache</c>, for both hosts.</summary>
public static class RedisDistributedCacheExtensions
{
    /// <summary>
    /// Registers Redis (<c>ConnectionStrings:Redis</c>) as the <c>IDistributedCache</c>, its keys under
    /// <c>{Apex:Redis:Prefix}:cache:</c>, so API servers and workers share one cache.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">Where the connection string is.</param>
    /// <param name="timeout">A shorter command timeout for the cache's connection, or null for the connection string's.</param>
    /// <remarks>
    /// The cache gets a connection of its own: handed the shared multiplexer, RedisCache manages it as its own, and in
    /// the Redis restart test the dispatch, results and leases that share it never recovered.
    /// </remarks>
    public static IServiceCollection AddApexRedisDistributedCache(this IServiceCollection services, IConfiguration configuration,
        Func<IServiceProvider, TimeSpan>? timeout = null)
    {
        services.AddStackExchangeRedisCache(_ => { });
        services.AddOptions<RedisCacheOptions>().Configure<IOptions<RedisOptions>, IServiceProvider>((o, redis, sp) =>
        {
            o.InstanceName = redis.Value.Prefix + ":cache:";
            var connection = ConfigurationOptions.Parse(configuration.GetConnectionString("Redis")!);
            connection.AbortOnConnectFail = false;
            if (timeout is not null)
            {
                connection.AsyncTimeout = connection.SyncTimeout = (int)timeout(sp).TotalMilliseconds;
            }
            o.ConfigurationOptions = connection;
        });
        return services;
    }
}
