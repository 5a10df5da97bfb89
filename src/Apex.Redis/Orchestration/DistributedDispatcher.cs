using System.Diagnostics;
using System.Threading.Channels;
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
/// <para>
/// As <see cref="IEagerStarts"/> it also takes tasks the store claimed for it in the write that made them ready (a new
/// standalone task, inserted running; a DAG dependent, in its last dependency's completion): room in the stream is
/// reserved for each while that write runs, and once it commits the task is sent like a claimed one. It reserves only while the stream has room and its last
/// claim round took every ready task (so tasks made ready since wait one round at most, and none waits for room that an
/// eager start takes), and never for tenants with concurrency caps (counted by the claim round alone).
/// </para>
/// </summary>
public sealed partial class DistributedDispatcher(
    IApexStore store,
    RedisDispatcher redis,
    AgentCatalog agents,
    ApprovalPolicy approvals,
    TenantDirectory tenants,
    IOptions<DistributedOptions> options,
    TimeProvider timeProvider,
    ILogger<DistributedDispatcher> logger) : BackgroundService, ITaskDispatcher, IEagerStarts
{
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly Channel<TaskRecord> _started = Channel.CreateUnbounded<TaskRecord>(new UnboundedChannelOptions { SingleReader = true });
    // Room in the work stream, counted as a task moves towards it: reserved by a write that may start it (_reserved),
    // started by a committed write and not sent yet (_unsent), the budget of the claim running now (_claiming), in the
    // stream (_backlog, reset from the stream's depth each round: a send that ends while a round reads the depth may be
    // left out of it until the next round, so eager starts may pass the limit by that send for that long).
    private long _backlog;
    private long _reserved;
    private long _unsent;
    private long _claiming;

    // Whether the last claim round took everything ready (fewer than it asked for): then whatever became ready since
    // waits for one round at most, and an eager start does not take anybody's place in the stream. False while the
    // stream is full or the last round took all it could: ready tasks wait for room, so room goes by priority.
    private volatile bool _drained;

    /// <inheritdoc />
    public string Backend => "redis-streams";

    /// <summary>Tasks in the work stream not yet finished, as last seen, and those started on their way there.</summary>
    public long Backlog => Interlocked.Read(ref _backlog) + Interlocked.Read(ref _unsent);

    /// <summary>This server's name, recorded as the claimer of the tasks it dispatches.</summary>
    public string ServerId { get; } = options.Value.ServerId ?? $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>
    /// Wakes the claim round for tasks a write left queued. A write whose tasks all started at once (eager start) leaves
    /// nothing to claim: no round, whose empty claim would still take a group commit of its own.
    /// </summary>
    public void Dispatch(IReadOnlyList<DispatchItem> items)
    {
        if (items.Count > 0)
        {
            Wake();
        }
    }

    /// <inheritdoc />
    public void Cancel(IReadOnlyList<Guid> taskIds) => _ = CancelAsync(taskIds);

    /// <summary>Nothing to drop: queued tasks wait in the store only, and the store no longer offers them to a claim.</summary>
    public void Withdraw(IReadOnlyList<Guid> taskIds)
    {
    }

    /// <summary>
    /// Asks the dispatch loop to look again after room was freed in the work stream (results applied), if tasks may be
    /// waiting for it: the last claim round was limited by room, or tenants' caps decide what may be claimed. After a round
    /// that took every ready task nothing waits: what was queued since woke the loop itself (<see cref="Dispatch"/>).
    /// </summary>
    public void WakeIfWaitingForRoom()
    {
        if (!_drained || !tenants.Caps().IsUnlimited)
        {
            Wake();
        }
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
    string IEagerStarts.Worker => ServerId;

    /// <summary>
    /// Reserves room in the work stream for <paramref name="item"/> when it may start at once: it is not delayed, the
    /// last claim round took every ready task, no tenant has a concurrency cap, and the stream is under
    /// <see cref="DistributedOptions.MaxInFlight"/> with the other reservations counted.
    /// </summary>
    public bool TryReserve(in DispatchItem item)
    {
        if (item.RunAt is not null || !_drained || !tenants.Caps().IsUnlimited)
        {
            return false;
        }
        if (Interlocked.Increment(ref _reserved) + Interlocked.Read(ref _unsent) + Interlocked.Read(ref _claiming) + Interlocked.Read(ref _backlog)
            > options.Value.MaxInFlight)
        {
            Interlocked.Decrement(ref _reserved);
            return false;
        }
        return true;
    }

    /// <summary>Sends <paramref name="task"/>, claimed for this server by a committed write, to the work stream.</summary>
    public void Start(in DispatchItem item, TaskRecord task)
    {
        Interlocked.Increment(ref _unsent);
        Interlocked.Decrement(ref _reserved);
        _started.Writer.TryWrite(task);
    }

    /// <inheritdoc />
    public void Release(in DispatchItem item) => Interlocked.Decrement(ref _reserved);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sender = SendStartedAsync(stoppingToken);
        await DispatchLoopAsync(stoppingToken);
        await sender;
    }

    /// <summary>Sends the tasks started by the store's writes, as they come, all that wait at a time together.</summary>
    private async Task SendStartedAsync(CancellationToken stoppingToken)
    {
        var reader = _started.Reader;
        var batch = new List<TaskRecord>();
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                while (batch.Count < options.Value.DispatchBatch && reader.TryRead(out var task))
                {
                    batch.Add(task);
                }
                try
                {
                    await SendAsync(batch, countSent: true, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Claimed, never sent: without a lease the sweeper re-queues them after the dispatch grace.
                    LogStartedSendFailed(e, batch.Count);
                }
                finally
                {
                    // In the stream's depth (and the backlog) from here on; counted twice for a moment, never missed.
                    Interlocked.Add(ref _unsent, -batch.Count);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: what was not sent is re-queued by a sweeper.
        }
    }

    private async Task DispatchLoopAsync(CancellationToken stoppingToken)
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
        // Read in the order a task moves (reserved, started, sent): one that moves on between two reads is counted
        // twice for this round, never missed.
        var reserved = Interlocked.Read(ref _reserved);
        var unsent = Interlocked.Read(ref _unsent);
        var depth = await redis.QueueDepthAsync(cancellationToken);
        var budget = (int)Math.Min(options.Value.DispatchBatch, options.Value.MaxInFlight - depth.Work - unsent - reserved);
        Interlocked.Exchange(ref _backlog, depth.Work);
        if (budget <= 0)
        {
            _drained = false;
            return 0;
        }
        // The whole budget counts while the claim runs, so eager starts meanwhile reserve only the room left beside it.
        Interlocked.Exchange(ref _claiming, budget);
        IReadOnlyList<TaskRecord> claimed;
        try
        {
            claimed = await store.ClaimNextAsync(budget, ServerId, tenants.Caps(), cancellationToken);
            Interlocked.Add(ref _backlog, claimed.Count);
        }
        finally
        {
            Interlocked.Exchange(ref _claiming, 0);
        }
        _drained = claimed.Count < budget;
        if (claimed.Count == 0)
        {
            return 0;
        }
        await SendAsync(claimed, countSent: false, cancellationToken);
        return claimed.Count;
    }

    /// <summary>
    /// Sends tasks claimed for this server to the work stream, with their approvals and DAG budgets; a task a run
    /// policy holds goes to awaiting approval instead.
    /// </summary>
    private async Task SendAsync(IReadOnlyList<TaskRecord> claimed, bool countSent, CancellationToken cancellationToken)
    {
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
            return;
        }
        try
        {
            await redis.DispatchAsync(messages, cancellationToken);
        }
        finally
        {
            spans?.ForEach(TaskTracing.StopDetached);
        }
        if (countSent)
        {
            Interlocked.Add(ref _backlog, messages.Count);
        }
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

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "Sending {Count} task(s) started by the store failed; the lease sweeper re-queues them")]
    private partial void LogStartedSendFailed(Exception exception, int count);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Publishing a cancel failed; the task's late result will be ignored")]
    private partial void LogCancelFailed(Exception exception);
}
