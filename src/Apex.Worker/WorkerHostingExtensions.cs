using Apex.Worker;
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

    /// <summary><c>/health/live</c> and <c>/health/ready</c> (Redis reachable).</summary>
    public static WebApplication MapWorkerHealth(this WebApplication app)
    {
        app.MapGet("/health/live", () => TypedResults.Text("healthy"));
        app.MapGet("/health/ready", async (IConnectionMultiplexer redis, WorkerService worker) =>
        {
            try
            {
                await redis.GetDatabase().PingAsync();
                return Results.Text($"ready: {worker.WorkerId}, {worker.Busy} busy");
            }
            catch (RedisException e)
            {
                return Results.Text($"not ready: {e.Message}", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });
        app.MapWorkerMetrics();
        return app;
    }
}
