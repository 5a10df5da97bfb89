using Apex.Worker;
using Apex.ServiceDefaults.Health;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The composition of the worker host.</summary>
internal static class WorkerHostingExtensions
{
    public static IServiceCollection AddApexWorker(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WorkerOptions>().Bind(configuration.GetSection(WorkerOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        var drain = configuration.GetSection(WorkerOptions.Section).Get<WorkerOptions>()?.DrainTimeout ?? new WorkerOptions().DrainTimeout;
        services.Configure<HostOptions>(o => o.ShutdownTimeout = drain + TimeSpan.FromSeconds(10));
        services.AddSingleton<WorkerService>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkerService>());
        if (configuration.GetValue<bool>($"{Apex.Agents.ResponseCache.LlmCacheOptions.Section}:Enabled"))
        {
            // The LLM response cache's second level: an answer one worker got serves every worker and API server.
            services.AddApexRedisDistributedCache(configuration);
        }
        services.AddApexWorkerMetrics(configuration);
        return services;
    }

    /// <summary><c>/health/live</c> and <c>/health/ready</c> (Redis answers within <c>Apex:Health:ProbeTimeout</c>).</summary>
    public static WebApplication MapWorkerHealth(this WebApplication app)
    {
        app.MapGet("/health/live", () => TypedResults.Text("healthy"));
        app.MapGet("/health/ready", async (IConnectionMultiplexer redis, WorkerService worker, IOptions<HealthOptions> options, CancellationToken cancellationToken) =>
            await RedisProbe.CheckAsync(redis, options.Value.ProbeTimeout, cancellationToken) is { } reason
                ? Results.Text($"not ready: {reason}", statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Text($"ready: {worker.WorkerId}, {worker.Busy} busy"));
        app.MapWorkerMetrics();
        return app;
    }
}
