using System.Diagnostics;
using Apex.Agents.Approvals;
using Apex.Core.Approvals;
using Apex.Core.Events;
using Apex.Contracts.Tasks;
using Apex.Core.Agents;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Apex.Engine.Agents;
using Apex.Engine.Tenants;
using Apex.Engine.Dispatch;
using Apex.Engine.Telemetry;
using Apex.Redis.Queue;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Apex.Redis.Orchestration;

/// <summary>
/// Moves queued tasks from the store to the work stream: claims the next ones in priority order (running at
/// attempt + 1, the fencing token; several servers claim safely at once), writes their leases and messages. Keeps at
/// most <see cref="DistributedOptions.MaxInFlight"/> in the stream so priority is decided by the store, not by a
/// FIFO backlog. <see cref="Dispatch"/> only wakes it: the store already holds what is ready.
/// </summary>
public sealed partial class DistributedDispatcher(
    IApexStore store,
    RedisDispatcher redis,
    AgentCatalog agents,
    ApprovalPolicy approvals,
    TenantDirectory tenants,
    IOptions<DistributedOptions> options,
    TimeProvider timeProvider,
    ILogger<DistributedDispatcher> logger) : BackgroundService, ITaskDispatcher
{
    private readonly SemaphoreSlim _wake = new(0, 1);
    private long _backlog;

    /// <inheritdoc />
    public string Backend => "redis-streams";

    /// <summary>Tasks in the work stream not yet finished, as last seen.</summary>
    public long Backlog => Interlocked.Read(ref _backlog);

    /// <summary>This server's name, recorded as the claimer of the tasks it dispatches.</summary>
    public string ServerId { get; } = options.Value.ServerId ?? $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <inheritdoc />
    public void Dispatch(IReadOnlyList<DispatchItem> items) => Wake();

    /// <inheritdoc />
    public void Cancel(IReadOnlyList<Guid> taskIds) => _ = CancelAsync(taskIds);

    /// <summary>Nothing to drop: queued tasks wait in the store only, and the store no longer offers them to a claim.</summary>
    public void Withdraw(IReadOnlyList<Guid> taskIds)
    {
    }

    /// <summary>Asks the dispatch loop to look for work now.</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already awake.
            }
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await DispatchRoundAsync(stoppingToken) > 0)
                {
                    continue;
                }
                await _wake.WaitAsync(options.Value.DispatchPollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Store or Redis unavailable: claimed-but-undispatched tasks are swept back after the grace period.
                LogRoundFailed(e);
                await Task.Delay(TimeSpan.FromSeconds(1), timeProvider, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task<int> DispatchRoundAsync(CancellationToken cancellationToken)
    {
        var depth = await redis.QueueDepthAsync(cancellationToken);
        Interlocked.Exchange(ref _backlog, depth.Work);
        var budget = (int)Math.Min(options.Value.DispatchBatch, options.Value.MaxInFlight - depth.Work);
        if (budget <= 0)
        {
            return 0;
        }
        var claimed = await store.ClaimNextAsync(budget, ServerId, tenants.Caps(), cancellationToken);
        if (claimed.Count == 0)
        {
            return 0;
        }
        var now = timeProvider.GetUtcNow();
        // Without policies no approval exists, so the common case asks the store nothing more.
        var grants = approvals.IsEmpty ? [] : await store.ListGrantsAsync([.. claimed.Select(t => t.Id)], cancellationToken);
        var budgets = await DagBudgetsAsync(claimed, cancellationToken);
        var messages = new List<WorkMessage>(claimed.Count);
        var spans = TaskTracing.Source.HasListeners() ? new List<Activity?>(claimed.Count) : null;
        foreach (var task in claimed)
        {
            var held = grants.Where(g => g.TaskId == task.Id).ToList();
            if (approvals.ForRun(task.Agent, task.Instruction, task.Limits.CostLimit) is { } start
                && !approvals.GateFor(task.Agent, held).TryPass(start))
            {
                // Held before any worker sees it: the attempt stops at once, waiting for a human.
                await store.CompleteAsync(new AttemptResult
                {
                    TenantId = task.TenantId,
                    TaskId = task.Id,
                    Attempt = task.Attempt,
                    Outcome = AttemptOutcome.AwaitingApproval,
                    Approval = start,
                    ApprovalExpiresAt = now + approvals.TtlFor(task.Agent, start),
                }, cancellationToken);
                continue;
            }
            var message = ToMessage(task, now) with { ApprovalTools = approvals.ToolRulesFor(task.Agent), Approvals = held };
            if (spans is not null)
            {
                // One producer span per task, in its submission's trace; the worker's spans are its children.
                var span = TaskTracing.StartDetached("apex.task.dispatch", ActivityKind.Producer, task.TraceParent, task.TraceState,
                    new TaskSpanIds(task.Id, task.DagId, task.Agent, task.Attempt));
                spans.Add(span);
                var (traceParent, traceState) = TaskTracing.ContextOf(span);
                message = message with { Traceparent = traceParent ?? "", Tracestate = traceState ?? "" };
            }
            messages.Add(task.DagId is { } dagId && budgets.TryGetValue(dagId, out var dagBudget)
                ? message with { DagLimits = dagBudget.Limits, DagUsed = dagBudget.Used }
                : message);
        }
        if (messages.Count == 0)
        {
            return claimed.Count;
        }
        try
        {
            await redis.DispatchAsync(messages, cancellationToken);
        }
        finally
        {
            spans?.ForEach(TaskTracing.StopDetached);
        }
        Interlocked.Add(ref _backlog, messages.Count);
        return claimed.Count;
    }

    /// <summary>The limits and spending of the DAGs with limits among <paramref name="tasks"/>: workers reserve from them.</summary>
    private async Task<Dictionary<Guid, (TaskLimits Limits, UsageDelta Used)>> DagBudgetsAsync(IReadOnlyList<TaskRecord> tasks, CancellationToken cancellationToken)
    {
        var budgets = new Dictionary<Guid, (TaskLimits, UsageDelta)>();
        foreach (var (tenantId, dagId) in tasks.Where(t => t.DagId is not null).Select(t => (t.TenantId, t.DagId!.Value)).Distinct())
        {
            if (await store.GetDagBudgetAsync(tenantId, dagId, cancellationToken) is { } budget)
            {
                budgets[dagId] = budget;
            }
        }
        return budgets;
    }

    private WorkMessage ToMessage(TaskRecord task, DateTimeOffset now)
    {
        agents.TryGet(task.TenantId, task.Agent, out var agent);
        return new WorkMessage
        {
            TaskId = task.Id,
            TenantId = task.TenantId,
            Attempt = task.Attempt,
            Agent = task.Agent,
            // A task whose agent was deleted still runs on what it was submitted with: the Simulated default.
            Provider = agent?.Provider ?? "simulated",
            Model = agent?.Model ?? "simulated",
            SystemPrompt = agent?.SystemPrompt ?? "",
            AgentSettings = agent?.Settings ?? AgentSettings.None,
            OutputSchema = task.OutputSchema,
            Instruction = task.Instruction,
            TimeLimitMs = task.Limits.TimeLimitSeconds * 1000L,
            DagId = task.DagId,
            TokenLimit = task.Limits.TokenLimit,
            CostLimit = task.Limits.CostLimit,
            ApiCallLimit = task.Limits.ApiCallLimit,
            UsedTokens = task.InputTokens + task.OutputTokens,
            UsedCostUsd = task.CostUsd,
            UsedApiCalls = task.ApiCalls,
            DispatchedAt = now,
        };
    }

    private async Task CancelAsync(IReadOnlyList<Guid> taskIds)
    {
        try
        {
            // The tasks are cancelled in the store, so no attempt of theirs may go on, whichever it is and whoever's tenant
            // it is. Dropping the lease stops a message still waiting in the stream (its acquire says lost) and a running
            // worker that misses the at-most-once cancel (its next heartbeat finds the lease gone).
            await redis.DropAllLeasesAsync(taskIds);
            foreach (var id in taskIds)
            {
                await redis.PublishCancelAsync(id, ControlMessage.AnyAttempt);
            }
        }
        catch (Exception e)
        {
            // Cancellation is best effort on the wire: the store already says cancelled, so a late result is ignored.
            LogCancelFailed(e);
        }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Dispatch round failed; retrying")]
    private partial void LogRoundFailed(Exception exception);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Publishing a cancel failed; the task's late result will be ignored")]
    private partial void LogCancelFailed(Exception exception);
}
