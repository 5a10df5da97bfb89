using Apex.Core.Storage;
using Apex.Engine.Agents;
using Apex.Redis.Queue;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Apex.Redis.Orchestration;

/// <summary>
/// Every sweep interval: a running task whose lease is gone (its worker died, or Redis lost its data) goes back
/// to queued, so its next dispatch carries attempt + 1 and the old attempt can never commit; work entries a dead
/// consumer left pending are reaped; the agent catalog is refreshed from the store.
/// </summary>
public sealed partial class LeaseSweeper(
    IApexStore store,
    RedisDispatcher redis,
    DistributedDispatcher dispatcher,
    AgentCatalog agents,
    IOptions<RedisOptions> redisOptions,
    IOptions<DistributedOptions> options,
    TimeProvider timeProvider,
    ILogger<LeaseSweeper> logger) : BackgroundService
{
    /// <summary>Tasks put back to queued by this sweeper since start.</summary>
    public long Requeued => Interlocked.Read(ref _requeued);

    private long _requeued;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(redisOptions.Value.SweepInterval, timeProvider);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await timer.WaitForNextTickAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogSweepFailed(e);
            }
        }
    }

    /// <summary>One sweep.</summary>
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        var horizon = timeProvider.GetUtcNow() - options.Value.DispatchGrace;
        var running = await store.ListRunningAsync(cancellationToken);
        var candidates = running.Where(r => r.StartedAt is null || r.StartedAt < horizon).Select(r => (r.TaskId, r.Attempt)).ToList();
        if (candidates.Count > 0)
        {
            var lost = await redis.LostLeasesAsync(candidates, cancellationToken);
            // Concurrently, so the store group-commits the whole sweep.
            var outcomes = await Task.WhenAll(lost.Select(l => store.RequeueAsync(l.TaskId, l.Attempt, "worker_lost", cancellationToken)));
            var requeued = outcomes.Count(o => o);
            if (requeued > 0)
            {
                Interlocked.Add(ref _requeued, requeued);
                LogRequeued(requeued);
                dispatcher.Wake();
            }
        }
        await redis.ReapAbandonedWorkAsync(redisOptions.Value.ClaimIdle, cancellationToken);
        await agents.RefreshAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 7201, Level = LogLevel.Warning, Message = "{Count} task(s) lost their worker and were re-queued")]
    private partial void LogRequeued(int count);

    [LoggerMessage(EventId = 7202, Level = LogLevel.Warning, Message = "Lease sweep failed; retrying next interval")]
    private partial void LogSweepFailed(Exception exception);
}
