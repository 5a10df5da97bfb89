using Apex.Agents.Contracts;
using Apex.Agents.Providers;
using Apex.Agents.Tools;
using Apex.Core.Events;
using Apex.Redis;
using Apex.Redis.Budgets;
using Apex.Redis.Events;
using Apex.Redis.Queue;
using Apex.Redis.RateLimits;
using Apex.Redis.Scratchpads;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Redis building blocks of distributed mode.</summary>
public static class RedisServiceCollectionExtensions
{
    /// <summary>
    /// Adds one <see cref="IConnectionMultiplexer"/> from <c>ConnectionStrings:Redis</c>, the options of section
    /// <c>Apex:Redis</c>, <see cref="RedisDispatcher"/>, <see cref="RedisWorkerClient"/>, <see cref="CacheInvalidation"/>,
    /// <see cref="RedisEventBus"/> as the <see cref="IEventBus"/>, <see cref="RedisBudgetLedger"/> as the
    /// <see cref="IBudgetLedger"/> and <see cref="RedisProviderRateLimiter"/> (<c>Apex:Redis:RateLimits</c>) as the
    /// <see cref="IProviderRateLimiter"/> (each replacing an in-process one, in either order).
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>ConnectionStrings:Redis</c> is not set.</exception>
    public static IServiceCollection AddApexRedis(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString("Redis");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException("ConnectionStrings:Redis is required for distributed mode.");
        }
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<RedisOptions>().Bind(configuration.GetSection(RedisOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisOptions>, RedisOptionsValidator>());
        services.TryAddSingleton<IConnectionMultiplexer>(sp =>
        {
            var options = ConfigurationOptions.Parse(connectionString);
            // Losing Redis delays work and loses none (DESIGN §1.4): start, and keep retrying, without it.
            options.AbortOnConnectFail = false;
            options.LoggerFactory ??= sp.GetService<ILoggerFactory>();
            return ConnectionMultiplexer.Connect(options);
        });
        services.AddMetrics();
        services.TryAddSingleton<RedisConnectionMetrics>();
        services.TryAddSingleton<RedisDispatcher>();
        services.TryAddSingleton<RedisWorkerClient>();
        services.TryAddSingleton<CacheInvalidation>();
        services.TryAddSingleton<RedisEventBus>();
        services.Replace(ServiceDescriptor.Singleton<IEventBus>(sp => sp.GetRequiredService<RedisEventBus>()));
        services.Replace(ServiceDescriptor.Singleton<IBudgetLedger, RedisBudgetLedger>());
        services.Replace(ServiceDescriptor.Singleton<IScratchpad, RedisScratchpad>());
        services.AddOptions<RateLimitOptions>().Bind(configuration.GetSection(RateLimitOptions.Section))
            .Validate(o => o.MaxWait >= TimeSpan.Zero && o.MaxWait <= TimeSpan.FromHours(1), "Apex:Redis:RateLimits:MaxWait must be 0–1 h.")
            .ValidateOnStart();
        services.Replace(ServiceDescriptor.Singleton<IProviderRateLimiter, RedisProviderRateLimiter>());
        return services;
    }
}
