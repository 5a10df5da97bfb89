using Apex.Core.Dags;
using Apex.Core.Events;
using Apex.Core.Tasks;
using Apex.Engine;
using Apex.Engine.Agents;
using Apex.Engine.Approvals;
using Apex.Engine.Dispatch;
using Apex.Engine.Events;
using Apex.Engine.Execution;
using Apex.Engine.Tenants;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the orchestrator and its in-process workers.</summary>
public static class EngineServiceCollectionExtensions
{
    /// <summary>Adds the engine, the in-process queue and event bus, and the agent runtime. A store must be added too.</summary>
    public static IServiceCollection AddApexEngine(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddApexAgents();
        services.AddOptions<EngineOptions>().Bind(configuration.GetSection(EngineOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DagOptions>().Bind(configuration.GetSection("Apex:Dags"))
            .Validate(o => o.MaxNodes > 0 && o.MaxEdges > 0, "Apex:Dags:MaxNodes and MaxEdges must be positive.").ValidateOnStart();
        services.AddOptions<RetryPolicy>().Bind(configuration.GetSection("Apex:Retry"))
            .Validate(o => o.DefaultMaxAttempts is >= 1 and <= TaskRules.MaxAttemptsCeiling && o.Jitter is >= 0 and <= 1,
                "Apex:Retry:DefaultMaxAttempts must be 1–100 and Jitter in [0, 1].").ValidateOnStart();
        services.TryAddSingleton(sp => new DagValidator(sp.GetRequiredService<IOptions<DagOptions>>().Value));
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<RetryPolicy>>().Value);

        services.TryAddSingleton<InProcessEventBus>();
        services.TryAddSingleton<IEventBus>(sp => sp.GetRequiredService<InProcessEventBus>());
        services.TryAddSingleton<AgentCatalog>();
        services.AddOptions<QuotaOptions>().Bind(configuration.GetSection(QuotaOptions.Section))
            .Validate(o => o.TenantRequestsPerSecond >= 0 && o.TenantRequestBurst >= 0 && o.KeyRequestsPerSecond >= 0 && o.KeyRequestBurst >= 0
                && o.QueuedTasks >= 0 && o.ConcurrentRuns >= 0 && o.CostPerDayUsd >= 0,
                "Apex:Quotas limits must be 0 (unlimited) or positive.")
            .Validate(o => o.TenantCacheTtl > TimeSpan.Zero && o.UsageCacheTtl >= TimeSpan.Zero,
                "Apex:Quotas:TenantCacheTtl must be positive and UsageCacheTtl not negative.")
            .ValidateOnStart();
        services.TryAddSingleton<TenantDirectory>();
        services.TryAddSingleton<TenantAdmission>();
        services.AddHostedService<TenantRefresher>();
        services.TryAddSingleton(sp =>
        {
            var tenants = sp.GetRequiredService<TenantDirectory>();
            var queue = new InProcessTaskQueue(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<AgentCatalog>().ConcurrencyOf, tenants.ConcurrentRunsOf);
            tenants.Changed += queue.Reconsider;
            return queue;
        });
        services.TryAddSingleton<RunningTasks>();
        services.TryAddSingleton<ITaskDispatcher, InProcessDispatcher>();
        services.TryAddSingleton<TaskExecutor>();
        services.TryAddSingleton<ApexEngine>();
        services.TryAddSingleton<WorkerPool>();
        services.AddHostedService<EngineStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkerPool>());
        services.AddHostedService<ApprovalSweeper>();
        return services;
    }
}
