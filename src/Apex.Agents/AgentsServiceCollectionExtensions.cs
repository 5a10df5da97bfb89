using Apex.Agents.Approvals;
using Apex.Agents.Contracts;
using Apex.Agents.Pricing;
using Apex.Agents.ResponseCache;
using Apex.Agents.Providers;
using Apex.Agents.Routing;
using Apex.Agents.Runtime;
using Apex.Agents.Security;
using Apex.Agents.Simulated;
using Apex.Agents.Tools;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the agent runtime.</summary>
public static class AgentsServiceCollectionExtensions
{
    /// <summary>Adds the LLM providers, pricing and <see cref="AgentRunner"/>.</summary>
    public static IServiceCollection AddApexAgents(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<SimulatedOptions>().BindConfiguration(SimulatedOptions.Section)
            .Validate(o => o.LatencyMs >= 0 && o.LatencyJitter is >= 0 and <= 1, "Apex:Simulated:LatencyMs must be ≥ 0 and LatencyJitter in [0, 1].")
            .ValidateOnStart();
        services.AddOptions<ProvidersOptions>().BindConfiguration(ProvidersOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<ProvidersOptions>, ProvidersEcosystemSetup>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ProvidersOptions>, ProvidersOptionsValidator>());
        services.AddHttpClient();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<HttpClientFactoryOptions>, ProviderHttpClients>());
        services.TryAddSingleton<IProviderRateLimiter, InProcessProviderRateLimiter>();
        services.TryAddSingleton<ProviderClientFactory>();
        services.AddOptions<PricingOptions>().BindConfiguration(PricingOptions.Section);
        services.TryAddSingleton<IChatClientProvider, ChatClientProvider>();
        services.AddApexResponseCache();
        services.AddOptions<ContractOptions>().BindConfiguration(ContractOptions.Section)
            .Validate(o => o.DefaultMaxOutputTokens > 0 && o.SharedBudgetTtl > TimeSpan.Zero,
                "Apex:Contracts:DefaultMaxOutputTokens and SharedBudgetTtl must be positive.")
            .ValidateOnStart();
        services.TryAddSingleton<IBudgetLedger, InProcessBudgetLedger>();
        services.AddApexCascadeRouting();
        services.AddOptions<ApprovalOptions>().BindConfiguration(ApprovalOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ApprovalOptions>, ApprovalOptionsValidator>());
        services.TryAddSingleton<ApprovalPolicy>();
        services.AddApexTools();
        services.TryAddSingleton<AgentMetrics>();
        services.TryAddSingleton(sp => new AgentRunner(
            sp.GetRequiredService<IChatClientProvider>(), sp.GetRequiredService<IOptionsMonitor<PricingOptions>>(),
            sp.GetRequiredService<IOptionsMonitor<ContractOptions>>(), sp.GetRequiredService<IBudgetLedger>(), sp.GetRequiredService<ToolCatalog>(), sp.GetRequiredService<CascadeRouter>(),
            sp.GetRequiredService<IOptionsMonitor<RoutingOptions>>(),
            sp.GetRequiredService<SecretRedactor>(), sp.GetRequiredService<LlmResponseCache>(), sp.GetRequiredService<AgentMetrics>(), sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
