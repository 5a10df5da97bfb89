using Apex.Server.Stats;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of the dashboard's stats.</summary>
internal static class StatsServiceCollectionExtensions
{
    /// <summary>The <see cref="StatsCollector"/>, a singleton that is also the hosted service filling it.</summary>
    public static IServiceCollection AddApexStats(this IServiceCollection services)
    {
        services.AddSingleton<StatsCollector>();
        services.AddHostedService(sp => sp.GetRequiredService<StatsCollector>());
        return services;
    }
}
