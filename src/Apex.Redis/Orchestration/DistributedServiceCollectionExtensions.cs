using Apex.Engine;
using Apex.Engine.Dispatch;
using Apex.Redis.Orchestration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the orchestrator side of distributed mode.</summary>
public static class DistributedServiceCollectionExtensions
{
    /// <summary>
    /// Switches an API server to distributed mode: dispatch through Redis Streams to worker processes, results
    /// back through a stream, leases swept, events fanned out through Redis pub/sub. No in-process workers run, and
    /// start-up does not re-queue running tasks (their leases decide). Call after <c>AddApexEngine</c>.
    /// </summary>
    public static IServiceCollection AddApexDistributed(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddApexRedis(configuration);
        services.AddOptions<DistributedOptions>().Bind(configuration.GetSection(DistributedOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.PostConfigure<EngineOptions>(o =>
        {
            o.RunWorkers = false;
            o.RecoverOnStart = false;
        });
        services.TryAddSingleton<DistributedDispatcher>();
        services.Replace(ServiceDescriptor.Singleton<ITaskDispatcher>(sp => sp.GetRequiredService<DistributedDispatcher>()));
        services.AddHostedService(sp => sp.GetRequiredService<DistributedDispatcher>());
        services.TryAddSingleton<ResultConsumer>();
        services.AddHostedService(sp => sp.GetRequiredService<ResultConsumer>());
        services.TryAddSingleton<LeaseSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<LeaseSweeper>());
        return services;
    }
}
