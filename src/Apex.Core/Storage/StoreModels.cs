using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core.Dags;
using Apex.Core.Events;
using Apex.Core.Tasks;

namespace Apex.Core.Storage;

/// <summary>A task ready for the queue: what a dispatcher needs to order and route it.</summary>
/// <param name="Id">Task id.</param>
/// <param name="Priority">Higher first.</param>
/// <param name="Seq">Order of enqueueing: FIFO within a priority.</param>
/// <param name="Agent">The agent's lane, <c>tenant/name</c> (see <see cref="Lane"/>), for per-agent concurrency.</param>
/// <param name="RunAt">Not before this time (retry backoff), or null for now.</param>
public readonly record struct DispatchItem(Guid Id, int Priority, long Seq, string Agent, DateTimeOffset? RunAt = null)
{
    /// <summary>The lane key of an agent: agents of different tenants never share a concurrency cap.</summary>
    public static string Lane(string tenantId, string agent) => string.Concat(tenantId, "/", agent);
}

/// <summary>A fully resolved task to insert.</summary>
public sealed record NewTask
{
    /// <summary>Tenant.</summary>
    public required string TenantId { get; init; }

    /// <summary>Id chosen by the caller.</summary>
    public required Guid Id { get; init; }

    /// <summary>Name.</summary>
    public required string Name { get; init; }

    /// <summary>Instruction.</summary>
    public required string Instruction { get; init; }

    /// <summary>Agent name.</summary>
    public required string Agent { get; init; }

    /// <summary>Priority.</summary>
    public int Priority { get; init; }

    /// <summary>Maximum attempts.</summary>
    public required int MaxAttempts { get; init; }

    /// <summary>Effective limits.</summary>
    public required TaskLimits Limits { get; init; }

    /// <summary>Labels.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>The JSON Schema the output must satisfy (raw JSON), or null.</summary>
    public string? OutputSchema { get; init; }

    /// <summary>W3C traceparent of the submission, carried to every attempt (null when nobody traced it).</summary>
    public string? TraceParent { get; init; }

    /// <summary>W3C tracestate of the submission, or null.</summary>
    public string? TraceState { get; init; }

    /// <summary>The row a store inserts for this standalone task: queued, version 1.</summary>
    public TaskRecord ToQueuedRecord(DateTimeOffset createdAt) => new()
    {
        TenantId = TenantId,
        Id = Id,
        Name = Name,
        Instruction = Instruction,
        Agent = Agent,
        Status = TaskState.Queued,
        Priority = Priority,
        MaxAttempts = MaxAttempts,
        Limits = Limits,
        Metadata = Metadata,
        OutputSchema = OutputSchema,
        TraceParent = TraceParent,
        TraceState = TraceState,
        CreatedAt = createdAt,
        Version = 1,
    };
}

/// <summary>A validated DAG with its resolved tasks (same order as <see cref="DagPlan.Nodes"/>).</summary>
public sealed record NewDag
{
    /// <summary>Tenant.</summary>
    public required string TenantId { get; init; }

    /// <summary>Id chosen by the caller.</summary>
    public required Guid Id { get; init; }

    /// <summary>The validated plan.</summary>
    public required DagPlan Plan { get; init; }

    /// <summary>One resolved task per node, by node index.</summary>
    public required IReadOnlyList<NewTask> Tasks { get; init; }
}

/// <summary>An idempotency key and the hash of the request body it came with.</summary>
public sealed record IdempotencyKey(string Key, string RequestHash);

/// <summary>What a submission did.</summary>
/// <param name="Ids">Ids of the tasks (new or, on an idempotent replay, existing).</param>
/// <param name="Created">False when an idempotency key matched an earlier identical request.</param>
/// <param name="Dispatch">Tasks to put on the queue now.</param>
/// <param name="Tasks">The rows as inserted, when <paramref name="Created"/>; empty on a replay.</param>
public sealed record SubmitOutcome(IReadOnlyList<Guid> Ids, bool Created, IReadOnlyList<DispatchItem> Dispatch, IReadOnlyList<TaskRecord> Tasks);

/// <summary>What a DAG submission did.</summary>
public sealed record DagSubmitOutcome(Guid DagId, bool Created, IReadOnlyList<DispatchItem> Dispatch);

/// <summary>How an attempt ended, as the worker reports it.</summary>
public enum AttemptOutcome
{
    /// <summary>Output produced.</summary>
    Succeeded,

    /// <summary>
    /// Failed but retryable: another attempt is scheduled at <see cref="AttemptResult.RetryAt"/> if the task has
    /// attempts left, otherwise the task fails.
    /// </summary>
    RetryScheduled,

    /// <summary>Failed for good.</summary>
    Failed,

    /// <summary>
    /// Stopped for a human approval (<see cref="AttemptResult.Approval"/>): the task waits in <c>awaiting_approval</c>
    /// until the approval is granted (queued again), rejected or expired (failed).
    /// </summary>
    AwaitingApproval,
}

/// <summary>The result of one attempt.</summary>
public sealed record AttemptResult
{
    /// <summary>Tenant.</summary>
    public required string TenantId { get; init; }

    /// <summary>Task id.</summary>
    public required Guid TaskId { get; init; }

    /// <summary>The attempt this result belongs to (the fencing token).</summary>
    public required int Attempt { get; init; }

    /// <summary>Outcome.</summary>
    public required AttemptOutcome Outcome { get; init; }

    /// <summary>Output when succeeded.</summary>
    public string? Output { get; init; }

    /// <summary>Error when not succeeded.</summary>
    public TaskError? Error { get; init; }

    /// <summary>Usage of this attempt.</summary>
    public UsageDelta Usage { get; init; } = UsageDelta.None;

    /// <summary>
    /// What each model spent in this attempt (sums to <see cref="Usage"/>); recorded for the usage API. A reporter
    /// that sends none (an older worker) is recorded as one line for the agent's model.
    /// </summary>
    public IReadOnlyList<LlmCallUsage> Calls { get; init; } = [];

    /// <summary>When the next attempt may start, with <see cref="AttemptOutcome.RetryScheduled"/>.</summary>
    public DateTimeOffset? RetryAt { get; init; }

    /// <summary>What the attempt asks a human for, with <see cref="AttemptOutcome.AwaitingApproval"/>.</summary>
    public Approvals.ApprovalRequest? Approval { get; init; }

    /// <summary>When <see cref="Approval"/> expires; the reporter sets it from its settings.</summary>
    public DateTimeOffset? ApprovalExpiresAt { get; init; }

    /// <summary>
    /// The approvals this attempt took (whatever its outcome, even stale: the action happened). The store marks them
    /// <c>used</c> in the same transaction.
    /// </summary>
    public IReadOnlyList<Guid> ApprovalsUsed { get; init; } = [];

    /// <summary>
    /// The usage lines to record for this attempt: <see cref="Calls"/>, or, from a reporter that sent none, one line
    /// for model <c>unreported</c> carrying <see cref="Usage"/>. Nothing when nothing was spent.
    /// </summary>
    public IReadOnlyList<LlmCallUsage> UsageLines() =>
        Calls.Count > 0 ? Calls
        : Usage == UsageDelta.None ? []
        : [new LlmCallUsage("", "unreported", Usage.InputTokens, Usage.OutputTokens, Usage.CostUsd, Usage.ApiCalls)];

    /// <summary>The decisions of the agent's cascade in this attempt, by step; null when it had no cascade.</summary>
    public IReadOnlyList<CascadeStep>? CascadeSteps()
    {
        List<CascadeStep>? steps = null;
        foreach (var call in Calls)
        {
            if (call.Cascade is { } step)
            {
                (steps ??= []).Add(step);
            }
        }
        steps?.Sort((a, b) => a.Step.CompareTo(b.Step));
        return steps;
    }

    /// <summary>The error to record: the reported one, or <c>unknown</c> when a failure came without one.</summary>
    public TaskError ErrorOrUnknown => Error ?? new TaskError("unknown", "The attempt failed.");

    /// <summary>True when <paramref name="task"/> (locked) is still running this attempt: only then does the result apply.</summary>
    public bool IsCurrentFor(TaskRecord task) => task.Status == TaskState.Running && task.Attempt == Attempt;

    /// <summary>
    /// What the result does to <paramref name="task"/>: a retry with no attempt left is a failure (the reporter, a
    /// remote worker, may not know max_attempts).
    /// </summary>
    public AttemptOutcome OutcomeFor(TaskRecord task) =>
        Outcome == AttemptOutcome.RetryScheduled && task.Attempt >= task.MaxAttempts ? AttemptOutcome.Failed : Outcome;

    /// <summary>The event data recording this result as stale for <paramref name="task"/>.</summary>
    public TaskResultIgnoredData IgnoredBy(TaskRecord task) =>
        new(Attempt, Outcome.ToString(), $"The task is {task.Status.Name()} at attempt {task.Attempt}.", Usage);
}

/// <summary>What applying a result or a user action changed.</summary>
/// <param name="Applied">False when the result was stale (the task had moved on) and was only recorded.</param>
/// <param name="Dispatch">Tasks that became ready (dependents, or the retried task itself).</param>
/// <param name="CancelRunning">Running tasks that were cancelled and whose executions must be stopped.</param>
/// <param name="Withdrawn">
/// Queued tasks that were cancelled or skipped without running: a dispatcher holding them (waiting, or delayed until
/// their retry time) must drop them, so they no longer count as queued work.
/// </param>
public sealed record TransitionOutcome(bool Applied, IReadOnlyList<DispatchItem> Dispatch, IReadOnlyList<Guid> CancelRunning, IReadOnlyList<Guid> Withdrawn)
{
    /// <summary>A stale result: recorded, nothing changed.</summary>
    public static TransitionOutcome Ignored { get; } = new(false, [], [], []);
}

/// <summary>
/// Gathers, while a store applies a transition, what the engine must act on: the stores build every
/// <see cref="TransitionOutcome"/> through it, so they sort the tasks they end the same way.
/// </summary>
public sealed class TransitionChanges
{
    private readonly List<DispatchItem> _dispatch = [];
    private readonly List<Guid> _cancelRunning = [];
    private readonly List<Guid> _withdrawn = [];

    /// <summary>Records a task that became ready.</summary>
    public void Ready(DispatchItem item) => _dispatch.Add(item);

    /// <summary>Records tasks that became ready.</summary>
    public void Ready(IEnumerable<DispatchItem> items) => _dispatch.AddRange(items);

    /// <summary>
    /// Records that an unfinished task is being cancelled or skipped, by the status it had before: a running task's
    /// execution must be stopped, a queued one must leave the dispatch queue; a pending one is in no queue.
    /// </summary>
    public void Ending(TaskRecord task)
    {
        switch (task.Status)
        {
            case TaskState.Running or TaskState.AwaitingApproval:
                _cancelRunning.Add(task.Id);
                break;
            case TaskState.Queued:
                _withdrawn.Add(task.Id);
                break;
        }
    }

    /// <summary>
    /// The applied outcome. It shares this instance's lists, so a store that looks up ready tasks set-based after the
    /// write returned (at the end of its group commit, before answering) still adds them to the outcome.
    /// </summary>
    public TransitionOutcome ToOutcome() => new(true, _dispatch, _cancelRunning, _withdrawn);
}

/// <summary>Filter and page of <c>GET /api/v1/tasks</c>.</summary>
public sealed record TaskQuery
{
    /// <summary>Tenant.</summary>
    public required string TenantId { get; init; }

    /// <summary>Status filter.</summary>
    public TaskState? Status { get; init; }

    /// <summary>DAG filter.</summary>
    public Guid? DagId { get; init; }

    /// <summary>Agent filter.</summary>
    public string? Agent { get; init; }

    /// <summary>Page size.</summary>
    public int Limit { get; init; } = 50;

    /// <summary>Opaque cursor from the previous page.</summary>
    public string? Cursor { get; init; }
}

/// <summary>Filter and page of <c>GET /api/v1/dags</c>.</summary>
public sealed record DagQuery
{
    /// <summary>Tenant.</summary>
    public required string TenantId { get; init; }

    /// <summary>Status filter.</summary>
    public DagState? Status { get; init; }

    /// <summary>Page size.</summary>
    public int Limit { get; init; } = 50;

    /// <summary>Opaque cursor.</summary>
    public string? Cursor { get; init; }
}

/// <summary>One page of rows and the cursor of the next.</summary>
public sealed record RecordPage<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>Aggregated usage and task counts of an agent.</summary>
public sealed record AgentUsage(IReadOnlyDictionary<string, long> TasksByStatus, long InputTokens, long OutputTokens, decimal CostUsd, long ApiCalls);

/// <summary>How the usage API sums.</summary>
public enum UsageGrouping
{
    /// <summary>By model id.</summary>
    Model,

    /// <summary>By agent name.</summary>
    Agent,

    /// <summary>By DAG id.</summary>
    Dag,
}

/// <summary>Usage summed over one model, agent or DAG.</summary>
/// <param name="Key">The model id, agent name or DAG id; null for tasks outside any DAG.</param>
/// <param name="InputTokens">Prompt tokens.</param>
/// <param name="OutputTokens">Completion tokens.</param>
/// <param name="CostUsd">Spend in US dollars.</param>
/// <param name="ApiCalls">LLM calls.</param>
/// <param name="Tasks">Distinct tasks that spent it.</param>
public sealed record UsageGroup(string? Key, long InputTokens, long OutputTokens, decimal CostUsd, long ApiCalls, long Tasks)
{
    /// <summary>What cascades decided and spent within the group; null when no cascade ran in it.</summary>
    public CascadeTotals? Cascade { get; init; }
}

/// <summary>The cascade steps within a usage group.</summary>
/// <param name="Accepted">Answers the scorer accepted.</param>
/// <param name="Rejected">Answers it rejected (escalated, or kept as the last resort).</param>
/// <param name="ProviderErrors">Steps whose call failed and escalated.</param>
/// <param name="CostUsd">What the cascade steps spent (judge calls excluded: they are lines of their own).</param>
/// <param name="TopModelCostUsd">What each cascade's strongest model would have charged for its final answer's tokens.</param>
public sealed record CascadeTotals(long Accepted, long Rejected, long ProviderErrors, decimal CostUsd, decimal TopModelCostUsd);

/// <summary>A DAG node as stored: its task and dependency keys.</summary>
public sealed record DagTaskRow(string Key, Guid Id, TaskState Status, IReadOnlyList<string> DependsOn);

/// <summary>A running task and the attempt it runs.</summary>
public readonly record struct RunningAttempt(Guid TaskId, int Attempt, DateTimeOffset? StartedAt);
