using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Apex.Agents.Approvals;
using Apex.Agents.Runtime;
using Apex.Contracts.Tasks;
using Apex.Core.Agents;
using Apex.Core.Events;
using Apex.Engine.Telemetry;
using Apex.Redis;
using Apex.Redis.Queue;
using Microsoft.Extensions.Options;

namespace Apex.Worker;

/// <summary>
/// The worker side of docs/worker-protocol.md: reads work while it has free slots, takes each lease (a duplicate
/// delivery or a stale attempt is discarded), runs the agent under the task's time limit, heartbeats every held
/// lease (an attempt whose lease is lost is stopped), reports the result. On shutdown it stops reading, lets
/// attempts finish for <see cref="WorkerOptions.DrainTimeout"/>, and releases the rest for immediate re-dispatch.
/// </summary>
internal sealed partial class WorkerService(
    RedisWorkerClient client,
    AgentRunner runner,
    IEventBus bus,
    IOptions<WorkerOptions> options,
    IOptions<RedisOptions> redisOptions,
    TimeProvider timeProvider,
    ILogger<WorkerService> logger) : BackgroundService
{
    private const string WorkerTag = "apex.worker.id";

    /// <summary>Milliseconds between the dispatch and this worker's acquire: the time the message waited in the work stream.</summary>
    private const string QueueWaitTag = "apex.queue.wait_ms";

    private readonly ConcurrentDictionary<(Guid TaskId, int Attempt), Execution> _running = new();

    // Attempts from before their acquire until after their release: a second copy of one of them is dropped without
    // asking Redis, because the acquire script lets the lease holder through again (docs/worker-protocol.md).
    private readonly ConcurrentDictionary<(Guid TaskId, int Attempt), byte> _inHand = new();

    private readonly Channel<Report> _reports = Channel.CreateUnbounded<Report>(new UnboundedChannelOptions { SingleReader = true });

    public string WorkerId { get; } = options.Value.WorkerId ?? $"{Environment.MachineName}-{Environment.ProcessId}";

    public int Busy => _running.Count;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var capacity = options.Value.Concurrency;
        using var slots = new SemaphoreSlim(capacity, capacity);
        await using var cancels = await client.SubscribeCancelsAsync(OnCancel, stoppingToken);
        using var heartbeatStop = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(heartbeatStop.Token);
        var reporter = ReportLoopAsync();
        LogStarted(WorkerId, capacity);
        try
        {
            await ReadLoopAsync(slots, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: drain below.
        }
        await DrainAsync();
        _reports.Writer.TryComplete();
        await reporter;
        await heartbeatStop.CancelAsync();
        await heartbeat;
    }

    private async Task ReadLoopAsync(SemaphoreSlim slots, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await slots.WaitAsync(stoppingToken);
            var taken = 1;
            while (slots.Wait(0))
            {
                taken++;
            }
            IReadOnlyList<QueueEntry<WorkMessage>> entries;
            try
            {
                entries = await client.ReadWorkAsync(WorkerId, taken, redisOptions.Value.BlockTime, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                slots.Release(taken);
                LogReadFailed(e);
                await Task.Delay(TimeSpan.FromSeconds(1), timeProvider, stoppingToken);
                continue;
            }
            if (entries.Count < taken)
            {
                slots.Release(taken - entries.Count);
            }
            if (entries.Count == 0)
            {
                continue;
            }
            var fresh = new List<QueueEntry<WorkMessage>>(entries.Count);
            foreach (var entry in entries)
            {
                if (_inHand.TryAdd((entry.Message.TaskId, entry.Message.Attempt), 0))
                {
                    fresh.Add(entry);
                    continue;
                }
                // A second copy of an attempt this worker already holds: run it once.
                await client.DiscardAsync(entry.EntryId, CancellationToken.None);
                slots.Release();
            }
            if (fresh.Count == 0)
            {
                continue;
            }
            var verdicts = await client.AcquireAsync([.. fresh.Select(e => (e.Message.TaskId, e.Message.Attempt))], WorkerId, CancellationToken.None);
            for (var i = 0; i < fresh.Count; i++)
            {
                var entry = fresh[i];
                var key = (entry.Message.TaskId, entry.Message.Attempt);
                if (verdicts[i] != AcquireResult.Ok)
                {
                    // Lost, stale or taken: somebody else's, or nobody's any more.
                    _inHand.TryRemove(key, out _);
                    await client.DiscardAsync(entry.EntryId, CancellationToken.None);
                    slots.Release();
                    continue;
                }
                var execution = new Execution(entry, timeProvider.GetUtcNow());
                _running[key] = execution;
                execution.Completion = RunAsync(execution, slots);
            }
        }
    }

    private async Task RunAsync(Execution execution, SemaphoreSlim slots)
    {
        await Task.Yield();
        var message = execution.Entry.Message;
        // A child of the orchestrator's dispatch span (the message's traceparent), from the lease's acquire to the report.
        using var activity = TaskTracing.StartTask("apex.task.run", ActivityKind.Consumer, message.Traceparent, message.Tracestate,
            new TaskSpanIds(message.TaskId, message.DagId, message.Agent, message.Attempt), execution.StartedAt);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(WorkerTag, WorkerId);
            activity.SetTag(QueueWaitTag, (execution.StartedAt - message.DispatchedAt).TotalMilliseconds);
        }
        using var scope = logger.BeginTaskScope(message.TaskId, message.DagId, message.Attempt);
        try
        {
            var result = await ExecuteAttemptAsync(execution);
            if (result is null)
            {
                TaskTracing.SetOutcome(activity, "lost", "lease_lost");
                await client.DiscardAsync(execution.Entry.EntryId, CancellationToken.None);
                return;
            }
            if (activity is not null)
            {
                TaskTracing.SetOutcome(activity, result.Outcome.ToString(), result.ErrorCode);
                var (traceParent, traceState) = TaskTracing.ContextOf(activity);
                result = result with { Traceparent = traceParent ?? "", Tracestate = traceState ?? "" };
            }
            await ReportAsync(execution.Entry.EntryId, result);
        }
        catch (Exception e)
        {
            // Reporting failed for good: the lease expires and the orchestrator re-queues the task.
            LogReportFailed(e, message.TaskId, message.Attempt);
        }
        finally
        {
            _running.TryRemove((message.TaskId, message.Attempt), out _);
            _inHand.TryRemove((message.TaskId, message.Attempt), out _);
            execution.Dispose();
            slots.Release();
        }
    }

    private async Task<ResultMessage?> ExecuteAttemptAsync(Execution execution)
    {
        // The orchestrator checked the run policies before dispatching; the tool policies and grants come with the message.
        var gate = new ApprovalGate(execution.Entry.Message.ApprovalTools, execution.Entry.Message.Approvals);
        gate.UseRunGrants();
        var result = await ExecuteAttemptAsync(execution, gate);
        return result is null ? null : result with { ApprovalsUsed = gate.Used };
    }

    private async Task<ResultMessage?> ExecuteAttemptAsync(Execution execution, ApprovalGate gate)
    {
        var message = execution.Entry.Message;
        var agent = new AgentDefinition
        {
            TenantId = message.TenantId,
            Id = Guid.Empty,
            Name = message.Agent,
            Provider = message.Provider,
            Model = message.Model,
            SystemPrompt = string.IsNullOrEmpty(message.SystemPrompt) ? null : message.SystemPrompt,
            Settings = message.AgentSettings,
        };
        using var timeout = message.TimeLimitMs is > 0 and var ms
            ? new CancellationTokenSource(TimeSpan.FromMilliseconds(ms), timeProvider)
            : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(execution.Cancellation.Token, timeout.Token);
        try
        {
            var run = await runner.RunAsync(new AgentRun
            {
                Agent = agent,
                TenantId = message.TenantId,
                TaskId = message.TaskId,
                DagId = message.DagId,
                Attempt = message.Attempt,
                Instruction = message.Instruction,
                OutputSchema = message.OutputSchema,
                Limits = new TaskLimits
                {
                    TokenLimit = message.TokenLimit,
                    CostLimit = message.CostLimit,
                    ApiCallLimit = message.ApiCallLimit,
                    TimeLimitSeconds = message.TimeLimitMs is { } limit ? (int)(limit / 1000) : null,
                },
                // The wire carries the task's tokens as one sum: contracts limit input and output together.
                UsedBefore = new UsageDelta(message.UsedTokens, 0, message.UsedCostUsd, message.UsedApiCalls),
                DagLimits = message.DagLimits,
                DagUsedBefore = message.DagUsed,
                Approvals = gate,
            }, bus, linked.Token);
            return Result(execution, ResultOutcome.Succeeded) with
            {
                Output = run.Output,
                InputTokens = run.Usage.InputTokens,
                OutputTokens = run.Usage.OutputTokens,
                CostUsd = run.Usage.CostUsd,
                ApiCalls = run.Usage.ApiCalls,
                Calls = run.Calls,
            };
        }
        catch (OperationCanceledException) when (execution.Stop == StopReason.Lost)
        {
            LogLeaseLost(message.TaskId, message.Attempt);
            return null;
        }
        catch (OperationCanceledException) when (execution.Stop == StopReason.Released)
        {
            return Result(execution, ResultOutcome.Released) with { Retryable = true, ErrorMessage = "The worker shut down before the attempt finished." };
        }
        catch (OperationCanceledException) when (execution.Stop == StopReason.Cancelled)
        {
            return Result(execution, ResultOutcome.Failed) with { ErrorCode = "cancelled", ErrorMessage = "The task was cancelled while running." };
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return Result(execution, ResultOutcome.Failed) with
            {
                ErrorCode = "timeout",
                ErrorMessage = $"The attempt exceeded its time limit of {message.TimeLimitMs / 1000.0:0.###} s.",
                Retryable = true,
            };
        }
        catch (ApprovalRequiredException e)
        {
            return Result(execution, ResultOutcome.AwaitingApproval) with
            {
                Approval = e.Request,
                InputTokens = e.Usage.InputTokens,
                OutputTokens = e.Usage.OutputTokens,
                CostUsd = e.Usage.CostUsd,
                ApiCalls = e.Usage.ApiCalls,
                Calls = e.Calls,
            };
        }
        catch (AgentExecutionException e)
        {
            return Result(execution, ResultOutcome.Failed) with
            {
                ErrorCode = e.Code,
                ErrorMessage = e.Message,
                Retryable = e.Retryable,
                InputTokens = e.Usage.InputTokens,
                OutputTokens = e.Usage.OutputTokens,
                CostUsd = e.Usage.CostUsd,
                ApiCalls = e.Usage.ApiCalls,
                Calls = e.Calls,
            };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogAttemptCrashed(e, message.TaskId, message.Attempt);
            return Result(execution, ResultOutcome.Failed) with { ErrorCode = "agent_error", ErrorMessage = e.Message, Retryable = true };
        }
    }

    private ResultMessage Result(Execution execution, ResultOutcome outcome) => new()
    {
        TaskId = execution.Entry.Message.TaskId,
        TenantId = execution.Entry.Message.TenantId,
        Attempt = execution.Entry.Message.Attempt,
        Worker = WorkerId,
        Outcome = outcome,
        StartedAt = execution.StartedAt,
        FinishedAt = timeProvider.GetUtcNow(),
    };

    /// <summary>Hands a result to the reporter and waits until it is in the results stream (or reporting gave up).</summary>
    private async Task ReportAsync(string entryId, ResultMessage result)
    {
        var report = new Report(entryId, result, timeProvider.GetUtcNow());
        await _reports.Writer.WriteAsync(report);
        await report.Sent.Task;
    }

    /// <summary>
    /// Sends the results waiting at each moment in one round trip (the worker's group commit: one XADD per result, one
    /// XACK, one XDEL and one release script for all), retrying while Redis is unreachable for as long as the leases
    /// could still be ours.
    /// </summary>
    private async Task ReportLoopAsync()
    {
        var batch = new List<Report>(options.Value.ReportBatch);
        var reader = _reports.Reader;
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < options.Value.ReportBatch && reader.TryRead(out var report))
            {
                batch.Add(report);
            }
            var deadline = batch[0].QueuedAt + (redisOptions.Value.LeaseTtl * 2);
            var delay = TimeSpan.FromMilliseconds(100);
            // The answers' last output deltas may be waiting to share a message: they go first, on the same connection,
            // so no subscriber sees a task end before its output has finished streaming.
            bus.Flush();
            while (true)
            {
                try
                {
                    await client.CompleteAsync([.. batch.Select(r => (r.EntryId, r.Result))], CancellationToken.None);
                    batch.ForEach(r => r.Sent.TrySetResult());
                    break;
                }
                catch (StackExchange.Redis.RedisConnectionException) when (timeProvider.GetUtcNow() < deadline)
                {
                    await Task.Delay(delay, timeProvider);
                    delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2_000));
                }
                catch (Exception e)
                {
                    batch.ForEach(r => r.Sent.TrySetException(e));
                    break;
                }
            }
        }
    }

    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(redisOptions.Value.HeartbeatInterval, timeProvider);
        while (true)
        {
            try
            {
                await timer.WaitForNextTickAsync(cancellationToken);
                var held = _running.Keys.ToList();
                if (held.Count > 0)
                {
                    foreach (var lost in await client.ExtendAsync(held, WorkerId, cancellationToken))
                    {
                        if (_running.TryGetValue(lost, out var execution))
                        {
                            execution.RequestStop(StopReason.Lost);
                        }
                    }
                }
                await client.HeartbeatPresenceAsync(WorkerId, options.Value.Concurrency, _running.Count, "dotnet", cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Redis unreachable: leases may expire; attempts that lose theirs are stopped on the next beat.
                LogHeartbeatFailed(e);
            }
        }
    }

    private async Task DrainAsync()
    {
        var pending = _running.Values.Select(e => e.Completion).ToArray();
        if (pending.Length == 0)
        {
            return;
        }
        LogDraining(pending.Length, options.Value.DrainTimeout);
        var all = Task.WhenAll(pending);
        try
        {
            await all.WaitAsync(options.Value.DrainTimeout, timeProvider);
            return;
        }
        catch (TimeoutException)
        {
            foreach (var execution in _running.Values)
            {
                execution.RequestStop(StopReason.Released);
            }
        }
        await all;
    }

    private void OnCancel(Guid taskId, int attempt)
    {
        foreach (var (key, execution) in _running)
        {
            if (key.TaskId == taskId && (attempt <= 0 || key.Attempt == attempt))
            {
                execution.RequestStop(StopReason.Cancelled);
            }
        }
    }

    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Worker {WorkerId} started with {Capacity} slots")]
    private partial void LogStarted(string workerId, int capacity);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "Reading work failed; retrying")]
    private partial void LogReadFailed(Exception exception);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Error, Message = "Task {TaskId} attempt {Attempt}: the result could not be reported; the lease will expire and the task be re-queued")]
    private partial void LogReportFailed(Exception exception, Guid taskId, int attempt);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Warning, Message = "Task {TaskId} attempt {Attempt}: lease lost; stopped without a result")]
    private partial void LogLeaseLost(Guid taskId, int attempt);

    [LoggerMessage(EventId = 8005, Level = LogLevel.Error, Message = "Task {TaskId} attempt {Attempt} crashed")]
    private partial void LogAttemptCrashed(Exception exception, Guid taskId, int attempt);

    [LoggerMessage(EventId = 8006, Level = LogLevel.Warning, Message = "Heartbeat failed")]
    private partial void LogHeartbeatFailed(Exception exception);

    [LoggerMessage(EventId = 8007, Level = LogLevel.Information, Message = "Draining {Count} attempt(s) for up to {Timeout}")]
    private partial void LogDraining(int count, TimeSpan timeout);

    private sealed record Report(string EntryId, ResultMessage Result, DateTimeOffset QueuedAt)
    {
        public TaskCompletionSource Sent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private enum StopReason
    {
        None,
        Cancelled,
        Lost,
        Released,
    }

    private sealed class Execution(QueueEntry<WorkMessage> entry, DateTimeOffset startedAt) : IDisposable
    {
        private int _stop;

        public QueueEntry<WorkMessage> Entry { get; } = entry;

        public DateTimeOffset StartedAt { get; } = startedAt;

        public CancellationTokenSource Cancellation { get; } = new();

        public Task Completion { get; set; } = Task.CompletedTask;

        public StopReason Stop => (StopReason)Volatile.Read(ref _stop);

        public void RequestStop(StopReason reason)
        {
            if (Interlocked.CompareExchange(ref _stop, (int)reason, (int)StopReason.None) == (int)StopReason.None)
            {
                try
                {
                    Cancellation.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // Finished meanwhile.
                }
            }
        }

        public void Dispose() => Cancellation.Dispose();
    }
}
