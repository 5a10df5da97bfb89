using System.Diagnostics;
using Apex.Agents.Approvals;
using Apex.Agents.Runtime;
using Apex.Contracts.Tasks;
using Apex.Core.Agents;
using Apex.Core.Approvals;
using Apex.Core.Errors;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Apex.Engine.Agents;
using Apex.Engine.Telemetry;
using Microsoft.Extensions.Logging;

namespace Apex.Engine.Execution;

/// <summary>One attempt, end to end: claim (CAS queued → running), run the agent under the task's time limit, report.</summary>
public sealed partial class TaskExecutor(
    IApexStore store,
    AgentRunner runner,
    AgentCatalog agents,
    IEventBus bus,
    RunningTasks running,
    RetryPolicy retryPolicy,
    ApprovalPolicy approvals,
    TimeProvider timeProvider,
    ILogger<TaskExecutor> logger)
{
    /// <summary>Executes <paramref name="item"/>; returns what its result made ready, for the caller to dispatch.</summary>
    /// <param name="item">The dispatched task.</param>
    /// <param name="worker">This worker's name.</param>
    /// <param name="stopping">Host shutdown: an attempt interrupted by it is left for recovery, not reported.</param>
    /// <param name="claimed">The task when the write that made it ready already claimed it for this worker (<see cref="IEagerStarts"/>).</param>
    public async Task<TransitionOutcome> ExecuteAsync(DispatchItem item, string worker, CancellationToken stopping, TaskRecord? claimed = null)
    {
        // Span times are the tracer's wall clock, not the injected TimeProvider; read only when somebody listens.
        var claimedFrom = TaskTracing.Source.HasListeners() ? DateTimeOffset.UtcNow : default;
        var task = claimed ?? await store.ClaimAsync(item.Id, worker, stopping);
        if (task is null)
        {
            return TransitionOutcome.Ignored; // cancelled or already taken: the store said no
        }
        // The attempt joins its submission's trace: claim, the agent's LLM and tool calls, and the completion below it.
        using var activity = TaskTracing.StartTask("apex.task.run", ActivityKind.Internal, task.TraceParent, task.TraceState,
            new TaskSpanIds(task.Id, task.DagId, task.Agent, task.Attempt), claimedFrom);
        TaskTracing.RecordChild(activity, "apex.task.claim", claimedFrom);
        using var scope = logger.BeginTaskScope(task.Id, task.DagId, task.Attempt);

        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(task.Limits.TimeLimitSeconds ?? int.MaxValue / 1000), timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(attempt.Token, timeout.Token);
        running.Add(task.Id, attempt);
        AttemptResult result;
        try
        {
            result = await RunAsync(task, linked.Token, () => timeout.IsCancellationRequested, () => attempt.IsCancellationRequested && !stopping.IsCancellationRequested);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            LogInterrupted(task.Id, task.Attempt);
            return TransitionOutcome.Ignored;
        }
        finally
        {
            running.Remove(task.Id);
        }
        if (activity is not null)
        {
            TaskTracing.SetOutcome(activity, result.Outcome.ToString(), result.Error?.Code);
        }
        using var complete = TaskTracing.Source.StartActivity("apex.task.complete");
        return await ReportAsync(result, stopping);
    }

    /// <summary>
    /// Reports until the store takes it: while the store is unavailable the result waits here, the task stays
    /// running in the store, and a restart re-dispatches it if this process dies first.
    /// </summary>
    private async Task<TransitionOutcome> ReportAsync(AttemptResult result, CancellationToken stopping)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                return await store.CompleteAsync(result, CancellationToken.None);
            }
            catch (ApexUnavailableException e) when (!stopping.IsCancellationRequested)
            {
                LogReportDeferred(result.TaskId, result.Attempt, e.Message);
                await Task.Delay(delay, timeProvider, stopping);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5_000));
            }
        }
    }

    private async Task<AttemptResult> RunAsync(TaskRecord task, CancellationToken cancellationToken, Func<bool> timedOut, Func<bool> cancelled)
    {
        if (!agents.TryGet(task.TenantId, task.Agent, out var agent))
        {
            return Failure(task, new TaskError("unknown_agent", $"The agent '{task.Agent}' no longer exists."), retryable: false);
        }
        ApprovalGate gate;
        try
        {
            // Grants are looked up only where a policy could have asked for one: without policies no approval exists.
            gate = approvals.GateFor(task.Agent, approvals.IsEmpty ? [] : await store.ListGrantsAsync([task.Id], cancellationToken));
        }
        catch (ApexUnavailableException e)
        {
            return Failure(task, new TaskError(e.Code, e.Message), retryable: true);
        }
        var result = await RunAsync(task, agent, gate, cancellationToken, timedOut, cancelled);
        return result with { ApprovalsUsed = gate.Used };
    }

    private async Task<AttemptResult> RunAsync(TaskRecord task, AgentDefinition agent, ApprovalGate gate, CancellationToken cancellationToken,
        Func<bool> timedOut, Func<bool> cancelled)
    {
        try
        {
            if (approvals.ForRun(task.Agent, task.Instruction, task.Limits.CostLimit) is { } start && !gate.TryPass(start))
            {
                return AwaitingApproval(task, start, UsageDelta.None, []);
            }
            var dagBudget = task.DagId is { } dagId ? await store.GetDagBudgetAsync(task.TenantId, dagId, cancellationToken) : null;
            var run = await runner.RunAsync(new AgentRun
            {
                Agent = agent,
                TenantId = task.TenantId,
                TaskId = task.Id,
                DagId = task.DagId,
                Attempt = task.Attempt,
                Instruction = task.Instruction,
                OutputSchema = task.OutputSchema,
                Limits = task.Limits,
                UsedBefore = new UsageDelta(task.InputTokens, task.OutputTokens, task.CostUsd, task.ApiCalls),
                DagLimits = dagBudget?.Limits,
                DagUsedBefore = dagBudget?.Used ?? UsageDelta.None,
                Approvals = gate,
            }, bus, cancellationToken);
            return new AttemptResult
            {
                TenantId = task.TenantId,
                TaskId = task.Id,
                Attempt = task.Attempt,
                Outcome = AttemptOutcome.Succeeded,
                Output = run.Output,
                Usage = run.Usage,
                Calls = run.Calls,
            };
        }
        catch (OperationCanceledException) when (timedOut())
        {
            return Failure(task, new TaskError("timeout", $"The attempt exceeded its time limit of {task.Limits.TimeLimitSeconds} s."), retryable: true);
        }
        catch (OperationCanceledException) when (cancelled())
        {
            // The store already says cancelled; this result is stale by design and will be recorded as ignored.
            return Failure(task, new TaskError("cancelled", "The task was cancelled while running."), retryable: false);
        }
        catch (ApprovalRequiredException e)
        {
            LogAwaitingApproval(task.Id, task.Attempt, e.Request.Action, e.Request.Tool);
            return AwaitingApproval(task, e.Request, e.Usage, e.Calls);
        }
        catch (AgentExecutionException e)
        {
            LogAttemptFailed(task.Id, task.Attempt, e.Code, e.Message);
            return Failure(task, new TaskError(e.Code, e.Message), e.Retryable) with { Usage = e.Usage, Calls = e.Calls };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogAttemptCrashed(e, task.Id, task.Attempt);
            return Failure(task, new TaskError("agent_error", e.Message), retryable: true);
        }
    }

    private AttemptResult AwaitingApproval(TaskRecord task, ApprovalRequest request, UsageDelta usage, IReadOnlyList<LlmCallUsage> calls) => new()
    {
        TenantId = task.TenantId,
        TaskId = task.Id,
        Attempt = task.Attempt,
        Outcome = AttemptOutcome.AwaitingApproval,
        Approval = request,
        ApprovalExpiresAt = timeProvider.GetUtcNow() + approvals.TtlFor(task.Agent, request),
        Usage = usage,
        Calls = calls,
    };

    private AttemptResult Failure(TaskRecord task, TaskError error, bool retryable)
    {
        var again = retryable && task.Attempt < task.MaxAttempts;
        return new AttemptResult
        {
            TenantId = task.TenantId,
            TaskId = task.Id,
            Attempt = task.Attempt,
            Outcome = again ? AttemptOutcome.RetryScheduled : AttemptOutcome.Failed,
            Error = error,
            RetryAt = again ? timeProvider.GetUtcNow() + retryPolicy.DelayAfter(task.Attempt, Random.Shared.NextDouble()) : null,
        };
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Task {TaskId} attempt {Attempt} failed: {Code} {Reason}")]
    private partial void LogAttemptFailed(Guid taskId, int attempt, string code, string reason);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Task {TaskId} attempt {Attempt} waits for approval of {Action} {Tool}")]
    private partial void LogAwaitingApproval(Guid taskId, int attempt, string action, string tool);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Task {TaskId} attempt {Attempt} crashed")]
    private partial void LogAttemptCrashed(Exception exception, Guid taskId, int attempt);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Result of task {TaskId} attempt {Attempt} not stored yet ({Reason}); retrying")]
    private partial void LogReportDeferred(Guid taskId, int attempt, string reason);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Task {TaskId} attempt {Attempt} interrupted by shutdown; it will be re-dispatched on restart")]
    private partial void LogInterrupted(Guid taskId, int attempt);
}
