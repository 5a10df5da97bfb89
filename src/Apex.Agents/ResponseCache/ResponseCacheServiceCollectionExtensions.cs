using Apex.Agents.ResponseCache;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the optional LLM response cache.</summary>
public static class ResponseCacheServiceCollectionExtensions
{
    /// <summary>
    /// Adds <c>Apex:LlmCache</c> and the <see cref="LlmResponseCache"/> the agent runtime puts in front of each model
    /// call when it is enabled: real providers' answers are kept in <see cref="Caching.Hybrid.HybridCache"/> (memory;
    /// plus Redis where the host registers it as the distributed cache, as both hosts do in distributed mode). A second
    /// call does nothing.
    /// </summary>
    public static IServiceCollection AddApexResponseCache(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(IConfigureOptions<LlmCacheOptions>)))
        {
            return services;
        }
        services.AddOptions<LlmCacheOptions>().BindConfiguration(LlmCacheOptions.Section)
            .Validate(o => o.Ttl > TimeSpan.Zero, "Apex:LlmCache:Ttl must be positive.")
            .ValidateOnStart();
        services.AddHybridCache();
        services.TryAddSingleton<LlmResponseCache>();
        return services;
    }
}
