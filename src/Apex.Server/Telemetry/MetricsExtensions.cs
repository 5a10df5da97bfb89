using System.Diagnostics.Metrics;
using Apex.Agents.Runtime;
using Apex.Core.Events;
using Apex.Redis;
using Apex.Server.Caching;
using Apex.Server.Live;
using Apex.Server.Telemetry;
using OpenTelemetry.Metrics;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Metrics in the Prometheus format at <c>Apex:Metrics:Path</c> (default <c>/metrics</c>; <c>Apex:Metrics:Enabled</c>
/// false turns them off): the seed's names from Apex's own meters, plus ASP.NET Core, Kestrel, HttpClient and .NET runtime
/// metrics. Names and labels: docs/operations.md.
/// </summary>
internal static class MetricsExtensions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Metrics";

    /// <summary>
    /// Registers the meter provider and the Prometheus exporter, and counts committed tasks by wrapping the registered
    /// <see cref="IEventBus"/>: call it after the store, engine, distributed and caching registrations.
    /// </summary>
    public static WebApplicationBuilder AddApexMetrics(this WebApplicationBuilder builder)
    {
        if (!builder.Configuration.GetValue(Section + ":Enabled", true))
        {
            return builder;
        }
        var services = builder.Services;
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton(sp => new RequestMetrics(sp.GetRequiredService<IMeterFactory>(), MetricsPath(builder.Configuration)));
        var bus = services.Last(d => d.ServiceType == typeof(IEventBus));
        services.Remove(bus);
        services.AddSingleton<IEventBus>(sp => new TaskMetricsEventBus(CacheServiceCollectionExtensions.Resolve<IEventBus>(sp, bus),
            sp.GetRequiredService<IMeterFactory>()));
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(ServerMetrics.MeterName, LiveConnections.MeterName, CacheMetrics.MeterName, RedisConnectionMetrics.MeterName)
            .AddApexMeters()
            .AddPrometheusExporter());
        return builder;
    }

    /// <summary>Times every request (first in the pipeline) and maps the scraping endpoint; creates the gauges.</summary>
    public static WebApplication UseApexMetrics(this WebApplication app)
    {
        if (!app.Configuration.GetValue(Section + ":Enabled", true))
        {
            return app;
        }
        var requests = app.Services.GetRequiredService<RequestMetrics>();
        app.Use(requests.InvokeAsync);
        // Observable gauges exist from the moment their owner does: create the owners now, not on first use.
        app.Services.GetRequiredService<ServerMetrics>();
        app.Services.GetRequiredService<LiveConnections>();
        app.Services.GetService<RedisConnectionMetrics>();
        // Anonymous like /health/live and /health/ready: Prometheus scrapes without credentials; keep it on the
        // monitoring network (docs/operations.md).
        app.MapPrometheusScrapingEndpoint(MetricsPath(app.Configuration)).AllowAnonymous();
        return app;
    }

    /// <summary>
    /// The meters both hosts export: the agent runtime (<c>Apex.Agents</c>), the store's group commits, ASP.NET Core and
    /// Kestrel (whose open connections are the seed's <c>apex_connections_active</c>), outgoing HTTP and the runtime.
    /// </summary>
    internal static MeterProviderBuilder AddApexMeters(this MeterProviderBuilder metrics) => metrics
        .AddMeter(AgentTelemetry.SourceName, "Apex.Store")
        .AddAspNetCoreInstrumentation()
        .AddHttpClientInstrumentation()
        .AddRuntimeInstrumentation()
        .AddView("kestrel.active_connections", "apex.connections.active");

    private static string MetricsPath(IConfiguration configuration) => configuration.GetValue(Section + ":Path", "/metrics")!;
}
