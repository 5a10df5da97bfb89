using Apex.Agents.Runtime;
using Apex.Redis;
using Apex.Worker.Telemetry;
using OpenTelemetry.Metrics;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// The worker's metrics in the Prometheus format, on the same settings as the API server's (<c>Apex:Metrics:Enabled</c>,
/// <c>Apex:Metrics:Path</c>, default <c>/metrics</c>): its pool, its Redis connection, what its agents did (task
/// durations, tokens, cost, contract violations, circuit breakers, cascade decisions), Kestrel, HttpClient and runtime.
/// </summary>
internal static class WorkerMetricsExtensions
{
    private const string Section = "Apex:Metrics";

    public static IServiceCollection AddApexWorkerMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        if (!configuration.GetValue(Section + ":Enabled", true))
        {
            return services;
        }
        services.AddSingleton<WorkerMetrics>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(WorkerMetrics.MeterName, AgentTelemetry.SourceName, RedisConnectionMetrics.MeterName)
            .AddAspNetCoreInstrumentation()
            .AddHttpClientInstrumentation()
            .AddRuntimeInstrumentation()
            // Kestrel's open connections are the seed's apex_connections_active.
            .AddView("kestrel.active_connections", "apex.connections.active")
            .AddPrometheusExporter());
        return services;
    }

    /// <summary>Maps the scraping endpoint and creates the gauges.</summary>
    public static WebApplication MapWorkerMetrics(this WebApplication app)
    {
        if (!app.Configuration.GetValue(Section + ":Enabled", true))
        {
            return app;
        }
        app.Services.GetRequiredService<WorkerMetrics>();
        app.Services.GetRequiredService<RedisConnectionMetrics>();
        app.MapPrometheusScrapingEndpoint(app.Configuration.GetValue(Section + ":Path", "/metrics")!);
        return app;
    }
}
