using System.Diagnostics;
using System.Reflection;
using Apex.Contracts.Health;
using Apex.Core.Errors;
using Apex.Core.Storage;
using Apex.Engine;
using Apex.Engine.Dispatch;
using Apex.Engine.Execution;
using Apex.Redis.Queue;
using Apex.ServiceDefaults.Health;
using Apex.Server.Caching;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Apex.Server.Security;

namespace Apex.Server.Health;

/// <summary>Liveness, readiness and the seed's detailed health document.</summary>
internal static class HealthApi
{
    private static readonly long StartedAt = Stopwatch.GetTimestamp();

    private static readonly string Version =
        typeof(HealthApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static RouteGroupBuilder MapHealthApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/health").WithTags("Health");
        group.MapGet("/live", () => TypedResults.Ok(new { status = "healthy" })).WithName("Liveness").AllowAnonymous();
        group.MapGet("/ready", ReadyAsync).WithName("Readiness").AllowAnonymous();
        group.MapGet("/", DetailedAsync).WithName("HealthDetailed").RequireAuthorization(ApexPolicies.Read);
        return group;
    }

    /// <summary>
    /// Ready when the store answers and, in distributed mode, Redis does, each within <see cref="HealthOptions.ProbeTimeout"/>:
    /// never cached, so a dependency that dies turns readiness off at the next probe.
    /// </summary>
    private static async Task<Results<Ok<object>, JsonHttpResult<object>>> ReadyAsync(IApexStore store, [FromServices] IConnectionMultiplexer? redis,
        IOptions<HealthOptions> options, CancellationToken cancellationToken)
    {
        var timeout = options.Value.ProbeTimeout;
        var reason = await PingStoreAsync(store, timeout, cancellationToken)
            ?? (redis is null ? null : await RedisProbe.CheckAsync(redis, timeout, cancellationToken));
        return reason is null
            ? TypedResults.Ok<object>(new { status = "ready" })
            : TypedResults.Json<object>(new { status = "not_ready", reason }, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>Null when the store answered within <paramref name="timeout"/>; otherwise why not.</summary>
    private static async Task<string?> PingStoreAsync(IApexStore store, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await store.PingAsync(deadline.Token);
            return null;
        }
        catch (ApexUnavailableException e)
        {
            return e.Message;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"The {store.Backend} store did not answer within {timeout.TotalMilliseconds:0} ms.";
        }
    }

    /// <summary>The document, reused for <c>Apex:Cache:HealthTtl</c> so a health storm does not reach the store.</summary>
    private static async Task<JsonHttpResult<HealthResponse>> DetailedAsync(HealthCache cache, IApexStore store, [FromServices] IStoreStatistics? statistics,
        ITaskDispatcher dispatcher, InProcessTaskQueue queue, WorkerPool workers, IOptions<EngineOptions> engine, [FromServices] RedisDispatcher? redis,
        IOptions<HealthOptions> health, AuthState auth, CancellationToken cancellationToken)
    {
        var document = await cache.GetAsync(ct => ComputeAsync(store, statistics, dispatcher, queue, workers, engine.Value, redis, health.Value.ProbeTimeout, auth, ct),
            cancellationToken);
        return TypedResults.Json(document.Body, statusCode: document.StatusCode);
    }

    private static async Task<CachedHealth> ComputeAsync(IApexStore store, IStoreStatistics? statistics, ITaskDispatcher dispatcher,
        InProcessTaskQueue queue, WorkerPool workers, EngineOptions engine, RedisDispatcher? redis, TimeSpan probeTimeout, AuthState auth, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var error = await PingStoreAsync(store, probeTimeout, cancellationToken);
        var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var healthy = error is null;
        var embedded = dispatcher.Backend == "in-process";
        var (workerHealth, queueHealthy) = embedded || redis is null
            ? (new WorkerHealth { Active = workers.Active, Max = workers.Max, Live = engine.RunWorkers ? 1 : 0, QueueDepth = dispatcher.Backlog }, true)
            : await DistributedWorkersAsync(redis, dispatcher.Backlog, cancellationToken);
        var response = new HealthResponse
        {
            Status = !healthy ? "unhealthy" : queueHealthy ? "healthy" : "degraded",
            Version = Version,
            Mode = embedded ? "embedded" : "distributed",
            Auth = auth.IsOpen ? "open" : "required",
            UptimeSeconds = (long)Stopwatch.GetElapsedTime(StartedAt).TotalSeconds,
            Components = new HealthComponents
            {
                Database = new DatabaseHealth
                {
                    Status = healthy ? "healthy" : "unhealthy",
                    Backend = store.Backend,
                    ConnectionsActive = statistics?.ConnectionsActive ?? 0,
                    ConnectionsMax = statistics?.ConnectionsMax ?? 0,
                    LatencyMs = Math.Round(latency, 3),
                    Error = error,
                },
                Queue = new QueueHealth
                {
                    Status = queueHealthy ? "healthy" : "unhealthy",
                    Backend = dispatcher.Backend,
                    Depth = dispatcher.Backlog,
                    Delayed = queue.DelayedCount,
                },
                Workers = workerHealth,
            },
        };
        return new CachedHealth(response, healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>The live workers' presence hashes (they expire after the lease TTL without a heartbeat), summed.</summary>
    private static async Task<(WorkerHealth Workers, bool RedisHealthy)> DistributedWorkersAsync(RedisDispatcher redis, long backlog, CancellationToken cancellationToken)
    {
        try
        {
            var live = await redis.WorkersAsync(cancellationToken);
            return (new WorkerHealth { Active = live.Sum(w => w.Busy), Max = live.Sum(w => w.Capacity), Live = live.Count, QueueDepth = backlog }, true);
        }
        catch (RedisException)
        {
            // Redis unreachable: the workers cannot be counted, and no work reaches them (status degraded).
            return (new WorkerHealth { QueueDepth = backlog }, false);
        }
    }
}
