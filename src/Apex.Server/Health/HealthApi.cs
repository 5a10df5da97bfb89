using System.Diagnostics;
using System.Reflection;
using Apex.Contracts.Health;
using Apex.Core.Errors;
using Apex.Core.Storage;
using Apex.Engine.Dispatch;
using Apex.Engine.Execution;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

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
        group.MapGet("/live", () => TypedResults.Ok(new { status = "healthy" })).WithName("Liveness");
        group.MapGet("/ready", ReadyAsync).WithName("Readiness");
        group.MapGet("/", DetailedAsync).WithName("HealthDetailed");
        return group;
    }

    private static async Task<Results<Ok<object>, JsonHttpResult<object>>> ReadyAsync(IApexStore store, CancellationToken cancellationToken)
    {
        try
        {
            await store.PingAsync(cancellationToken);
            return TypedResults.Ok<object>(new { status = "ready" });
        }
        catch (ApexUnavailableException e)
        {
            return TypedResults.Json<object>(new { status = "not_ready", reason = e.Message }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static async Task<JsonHttpResult<HealthResponse>> DetailedAsync(IApexStore store, [FromServices] IStoreStatistics? statistics, ITaskDispatcher dispatcher,
        InProcessTaskQueue queue, WorkerPool workers, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        string? error = null;
        try
        {
            await store.PingAsync(cancellationToken);
        }
        catch (ApexUnavailableException e)
        {
            error = e.Message;
        }
        var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var healthy = error is null;
        var response = new HealthResponse
        {
            Status = healthy ? "healthy" : "unhealthy",
            Version = Version,
            Mode = dispatcher.Backend == "in-process" ? "embedded" : "distributed",
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
                Queue = new QueueHealth { Status = "healthy", Backend = dispatcher.Backend, Depth = dispatcher.Backlog, Delayed = queue.DelayedCount },
                Workers = new WorkerHealth { Active = workers.Active, Max = workers.Max, QueueDepth = dispatcher.Backlog },
            },
        };
        return TypedResults.Json(response, statusCode: healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
