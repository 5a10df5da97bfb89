using Apex.Agents.ResponseCache;
using Apex.Agents.Runtime;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the optional LLM response cache.</summary>
public static class ResponseCacheServiceCollectionExtensions
{
    /// <summary>
    /// Adds <c>Apex:LlmCache</c> and wraps the registered <see cref="IChatClientProvider"/> so that, when enabled, real
    /// providers' answers are cached in <see cref="Caching.Hybrid.HybridCache"/> (memory; plus Redis where the host
    /// registers it as the distributed cache). Call it after the provider is registered; a second call does nothing.
    /// </summary>
    public static IServiceCollection AddApexResponseCache(this IServiceCollection services)
    {
        var provider = services.LastOrDefault(d => d.ServiceType == typeof(IChatClientProvider));
        if (provider is null || services.Any(d => d.ServiceType == typeof(IConfigureOptions<LlmCacheOptions>)))
        {
            return services;
        }
        services.AddOptions<LlmCacheOptions>().BindConfiguration(LlmCacheOptions.Section)
            .Validate(o => o.Ttl > TimeSpan.Zero, "Apex:LlmCache:Ttl must be positive.")
            .ValidateOnStart();
        services.AddHybridCache();
        services.Replace(ServiceDescriptor.Singleton<IChatClientProvider>(sp => ActivatorUtilities.CreateInstance<CachingChatClientProvider>(sp,
            (IChatClientProvider)(provider.ImplementationInstance
                ?? provider.ImplementationFactory?.Invoke(sp)
                ?? ActivatorUtilities.CreateInstance(sp, provider.ImplementationType!)))));
        return services;
    }
}
