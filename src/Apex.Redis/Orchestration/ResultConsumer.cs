using System.Diagnostics;
using Apex.Agents.Approvals;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Apex.Engine;
using Apex.Engine.Telemetry;
using Apex.Redis.Queue;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Apex.Redis.Orchestration;

/// <summary>
/// Applies the workers' results to the store, compare-and-set on (status, attempt): a stale attempt is recorded
/// and ignored. A batch is applied concurrently so the store group-commits it, then acknowledged with one
/// XACK + XDEL; up to <see cref="DistributedOptions.ResultBatchesInFlight"/> batches are applied at once. Results a
/// dead server left pending are claimed after half the lease TTL.
/// </summary>
public sealed partial class ResultConsumer(
    IApexStore store,
    RedisDispatcher redis,
    ApexEngine engine,
    DistributedDispatcher dispatcher,
    RetryPolicy retryPolicy,
    ApprovalPolicy approvals,
    IOptions<RedisOptions> redisOptions,
    IOptions<DistributedOptions> options,
    TimeProvider timeProvider,
    ILogger<ResultConsumer> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lastClaim = timeProvider.GetUtcNow();
        var inFlight = options.Value.ResultBatchesInFlight;
        using var slots = new SemaphoreSlim(inFlight, inFlight);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await slots.WaitAsync(stoppingToken);
                var claimAbandoned = timeProvider.GetUtcNow() - lastClaim > redisOptions.Value.LeaseTtl;
                if (claimAbandoned)
                {
                    lastClaim = timeProvider.GetUtcNow();
                }
                IReadOnlyList<QueueEntry<ResultMessage>> entries;
                try
                {
                    entries = await ReadAsync(claimAbandoned, stoppingToken);
                }
                catch
                {
                    slots.Release();
                    throw;
                }
                if (entries.Count == 0)
                {
                    slots.Release();
                    continue;
                }
                // The next batch is read while this one is applied, so the store's writer always has the next group waiting.
                _ = ApplyAndReleaseAsync(entries, slots, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                LogRoundFailed(e);
                await Task.Delay(TimeSpan.FromSeconds(1), timeProvider, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        // Let the batches being applied finish before the store goes away.
        for (var i = 0; i < inFlight; i++)
        {
            await slots.WaitAsync(CancellationToken.None);
        }
    }

    /// <summary>New results, plus (once a lease TTL) those a dead server left pending.</summary>
    private async Task<IReadOnlyList<QueueEntry<ResultMessage>>> ReadAsync(bool claimAbandoned, CancellationToken cancellationToken)
    {
        var entries = await redis.ReadResultsAsync(dispatcher.ServerId, options.Value.ResultBatch, redisOptions.Value.BlockTime, cancellationToken);
        if (!claimAbandoned)
        {
            return entries;
        }
        // Half a lease TTL: well before a finished attempt's "done" lease expires and the sweep would re-run it. Taking
        // a slow (not dead) server's result, or one of this server's own batches still being applied, is harmless:
        // applying a result twice is compare-and-set.
        var abandoned = await redis.ClaimAbandonedResultsAsync(dispatcher.ServerId, redisOptions.Value.LeaseTtl / 2, cancellationToken);
        return abandoned.Count > 0 ? [.. entries, .. abandoned] : entries;
    }

    private async Task ApplyAndReleaseAsync(IReadOnlyList<QueueEntry<ResultMessage>> entries, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        try
        {
            await ApplyAsync(entries, cancellationToken);
        }
        catch (Exception e)
        {
            // Unacknowledged results stay pending and are claimed again after half a lease TTL.
            LogRoundFailed(e);
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task ApplyAsync(IReadOnlyList<QueueEntry<ResultMessage>> entries, CancellationToken cancellationToken)
    {
        var applied = await Task.WhenAll(entries.Select(e => ApplyOneAsync(e.Message, cancellationToken)));
        await redis.AckResultsAsync([.. entries.Select(e => e.EntryId)], cancellationToken);
        await redis.DropLeasesAsync([.. entries.Select(e => (e.Message.TaskId, e.Message.Attempt))], cancellationToken);
        if (entries.Where((e, i) => applied[i] && e.Message.Outcome == ResultOutcome.Released).Any())
        {
            dispatcher.Wake(); // queued again, to be claimed
        }
        else if (applied.Any(a => a))
        {
            dispatcher.WakeIfWaitingForRoom();
        }
    }

    private async Task<bool> ApplyOneAsync(ResultMessage result, CancellationToken cancellationToken)
    {
        // The attempt's result joins its trace (the worker's span is the parent); the agent is not on the wire here.
        using var activity = TaskTracing.StartTask("apex.task.complete", ActivityKind.Consumer, result.Traceparent, result.Tracestate,
            new TaskSpanIds(result.TaskId, null, null, result.Attempt));
        if (result.Outcome == ResultOutcome.Released)
        {
            return await store.RequeueAsync(result.TaskId, result.Attempt, "released", cancellationToken);
        }
        var usage = new UsageDelta(result.InputTokens, result.OutputTokens, result.CostUsd, result.ApiCalls);
        var attempt = result.Outcome switch
        {
            ResultOutcome.Succeeded => new AttemptResult
            {
                TenantId = result.TenantId,
                TaskId = result.TaskId,
                Attempt = result.Attempt,
                Outcome = AttemptOutcome.Succeeded,
                Output = result.Output,
                Usage = usage,
                Calls = result.Calls,
            },
            ResultOutcome.AwaitingApproval when result.Approval is { } request => new AttemptResult
            {
                TenantId = result.TenantId,
                TaskId = result.TaskId,
                Attempt = result.Attempt,
                Outcome = AttemptOutcome.AwaitingApproval,
                Approval = request,
                ApprovalExpiresAt = timeProvider.GetUtcNow() + approvals.TtlFor(null, request),
                Usage = usage,
                Calls = result.Calls,
            },
            _ => new AttemptResult
            {
                TenantId = result.TenantId,
                TaskId = result.TaskId,
                Attempt = result.Attempt,
                // The store turns a retry into a failure when the task has no attempt left.
                Outcome = result.Retryable ? AttemptOutcome.RetryScheduled : AttemptOutcome.Failed,
                Error = new TaskError(string.IsNullOrEmpty(result.ErrorCode) ? "worker_error" : result.ErrorCode, result.ErrorMessage),
                Usage = usage,
                Calls = result.Calls,
                RetryAt = result.Retryable ? timeProvider.GetUtcNow() + retryPolicy.DelayAfter(result.Attempt, Random.Shared.NextDouble()) : null,
            },
        };
        try
        {
            var outcome = await store.CompleteAsync(attempt with { ApprovalsUsed = result.ApprovalsUsed }, cancellationToken);
            engine.Apply(outcome);
            return outcome.Applied;
        }
        catch (Core.Errors.ApexNotFoundException)
        {
            LogUnknownTask(result.TaskId);
            return false;
        }
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Warning, Message = "Applying results failed; they stay pending and are read again")]
    private partial void LogRoundFailed(Exception exception);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Warning, Message = "A result names task {TaskId}, which the store does not know; dropped")]
    private partial void LogUnknownTask(Guid taskId);
}
