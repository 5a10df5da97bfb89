using Apex.Agents.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers cascade routing.</summary>
public static class RoutingServiceCollectionExtensions
{
    /// <summary>Adds <see cref="CascadeRouter"/> and binds <see cref="RoutingOptions"/> to <c>Apex:Routing</c>.</summary>
    public static IServiceCollection AddApexCascadeRouting(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddOptions<RoutingOptions>().BindConfiguration(RoutingOptions.Section)
            .Validate(o => o.MaxModels >= 1 && o.MinLength >= 0 && o.MarkerWindow >= 0 && o.JudgeThreshold is >= 0 and <= 1,
                "Apex:Routing:MaxModels must be ≥ 1, MinLength and MarkerWindow ≥ 0, JudgeThreshold in [0, 1].")
            .ValidateOnStart();
        services.TryAddSingleton<CascadeRouter>();
        return services;
    }
}
