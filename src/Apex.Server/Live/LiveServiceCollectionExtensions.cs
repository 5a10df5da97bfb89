using Apex.Core.Storage;
using Apex.Server.Live;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the WebSocket endpoint's services.</summary>
internal static class LiveServiceCollectionExtensions
{
    /// <summary>Options (<c>Apex:WebSocket</c>), the event router, the global event log of the configured store.</summary>
    public static IServiceCollection AddApexLive(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<LiveOptions>().Bind(configuration.GetSection(LiveOptions.Section))
            .Validate(o => o.MaxConnections >= 1 && o.MaxSubscriptionsPerConnection >= 1 && o.SendQueueCapacity >= 16
                    && o.FeedCapacity >= 1024 && o.MaxMessageBytes >= 256 && o.MaxReplayEvents >= 1 && o.MaxInvalidMessages >= 0 && o.AgentCacheSize >= 1
                    && o.MaxBatchBytes >= 0,
                "Apex:WebSocket limits must be positive (SendQueueCapacity ≥ 16, MaxMessageBytes ≥ 256, MaxBatchBytes ≥ 0).")
            .Validate(o => o.KeepAliveInterval >= TimeSpan.Zero && o.KeepAliveTimeout >= TimeSpan.Zero && o.CloseTimeout > TimeSpan.Zero,
                "Apex:WebSocket:KeepAliveInterval and KeepAliveTimeout must be ≥ 0 and CloseTimeout positive.")
            .ValidateOnStart();
        services.TryAddSingleton<LiveConnections>();
        services.TryAddSingleton<LiveRouter>();
        services.TryAddSingleton<LiveHub>();
        services.TryAddSingleton(sp => new LiveServices(sp.GetRequiredService<IOptions<LiveOptions>>().Value, sp.GetRequiredService<LiveHub>(),
            sp.GetRequiredService<IApexStore>(), sp.GetRequiredService<LiveRouter>(),
            sp.GetRequiredService<ILogger<LiveConnection>>()));
        return services;
    }
}
