using Apex.Core.Events;
using System.Security.Cryptography;
using System.Text;
using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core.Agents;
using Apex.Core.Approvals;
using Apex.Core.Dags;
using Apex.Core.Errors;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Apex.Engine.Agents;
using Apex.Engine.Dispatch;
using Apex.Engine.Telemetry;
using Apex.Engine.Tenants;
using Microsoft.Extensions.Options;

namespace Apex.Engine;

/// <summary>
/// The orchestrator's front door: admits tasks and DAGs (validated, resolved, durably stored, then dispatched) and
/// applies user actions (cancel, retry). A method returns only after the store committed.
/// </summary>
public sealed class ApexEngine(
    IApexStore store,
    ITaskDispatcher dispatcher,
    AgentCatalog agents,
    DagValidator dagValidator,
    RetryPolicy retryPolicy,
    TenantAdmission admission,
    IOptions<EngineOptions> options,
    TimeProvider timeProvider)
{
    private const string BatchSizeTag = "apex.submit.tasks";

    /// <summary>Creates one task.</summary>
    public async Task<TaskSubmission> SubmitTaskAsync(string tenantId, CreateTaskRequest request, string? idempotencyKey, string? requestHash,
        CancellationToken cancellationToken = default)
    {
        TaskRules.Validate(request);
        using var activity = TaskTracing.Source.StartActivity("apex.task.submit");
        var task = Resolve(tenantId, request, "", TaskTracing.ContextOf(activity));
        activity?.SetTag(TaskTracing.TaskIdTag, task.Id.ToString());
        AdmitOrThrow(1);
        await admission.AdmitAsync(tenantId, 1, cancellationToken);
        var outcome = await store.SubmitTasksAsync([task], Key(idempotencyKey, requestHash), cancellationToken);
        dispatcher.Dispatch(outcome.Dispatch);
        var record = outcome.Created
            ? outcome.Tasks[0]
            : await store.GetTaskAsync(tenantId, outcome.Ids[0], cancellationToken) ?? throw new ApexNotFoundException("task", outcome.Ids[0].ToString());
        return new TaskSubmission(record, outcome.Created);
    }

    /// <summary>Creates up to <see cref="EngineOptions.MaxBatchSize"/> tasks, validated all-or-nothing.</summary>
    public async Task<SubmitOutcome> SubmitBatchAsync(string tenantId, IReadOnlyList<CreateTaskRequest?>? requests, string? idempotencyKey, string? requestHash,
        CancellationToken cancellationToken = default)
    {
        if (requests is null || requests.Count == 0)
        {
            throw new ApexValidationException("batch_empty", "A batch needs at least one task.");
        }
        if (requests.Count > options.Value.MaxBatchSize)
        {
            throw new ApexValidationException("batch_too_large",
                $"A batch holds at most {options.Value.MaxBatchSize} tasks (setting Apex:Engine:MaxBatchSize); this one has {requests.Count}.");
        }
        var errors = new Dictionary<string, string[]>();
        for (var i = 0; i < requests.Count; i++)
        {
            TaskRules.Collect(requests[i], $"tasks[{i}].", errors);
        }
        if (errors.Count > 0)
        {
            throw new ApexValidationException("validation_failed", "Some tasks of the batch are invalid; none was created.", errors);
        }
        using var activity = TaskTracing.Source.StartActivity("apex.batch.submit");
        activity?.SetTag(BatchSizeTag, requests.Count);
        var trace = TaskTracing.ContextOf(activity);
        var tasks = new NewTask[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            tasks[i] = Resolve(tenantId, requests[i]!, $"tasks[{i}].", trace);
        }
        AdmitOrThrow(tasks.Length);
        await admission.AdmitAsync(tenantId, tasks.Length, cancellationToken);
        var outcome = await store.SubmitTasksAsync(tasks, Key(idempotencyKey, requestHash), cancellationToken);
        dispatcher.Dispatch(outcome.Dispatch);
        return outcome;
    }

    /// <summary>Validates and creates a DAG; its root tasks are dispatched at once.</summary>
    public async Task<DagSubmission> SubmitDagAsync(string tenantId, CreateDagRequest request, string? idempotencyKey, string? requestHash,
        CancellationToken cancellationToken = default)
    {
        var plan = dagValidator.Validate(request);
        var now = timeProvider.GetUtcNow();
        var dagId = Guid.CreateVersion7(now);
        // Every node carries the submission's context: the DAG's spans, in any process and at any later time, share one trace.
        using var activity = TaskTracing.Source.StartActivity("apex.dag.submit");
        activity?.SetTag(TaskTracing.DagIdTag, dagId.ToString());
        activity?.SetTag(BatchSizeTag, plan.Nodes.Count);
        var (traceParent, traceState) = TaskTracing.ContextOf(activity);
        var tasks = new NewTask[plan.Nodes.Count];
        foreach (var node in plan.Nodes)
        {
            tasks[node.Index] = new NewTask
            {
                TenantId = tenantId,
                Id = Guid.CreateVersion7(now),
                Name = node.Name,
                Instruction = node.Instruction,
                Agent = ResolveAgent(tenantId, node.Agent, $"tasks[{node.SourceIndex}].agent").Name,
                Priority = plan.Priority,
                MaxAttempts = node.MaxAttempts ?? retryPolicy.DefaultMaxAttempts,
                Limits = plan.Limits is { } budget
                    ? DagBudget.ResolveChild(budget, UsageDelta.None, node.Limits, null, $"tasks[{node.SourceIndex}].limits", [])
                    : LimitPresets.Resolve(node.Limits),
                Metadata = null,
                OutputSchema = node.OutputSchema,
                TraceParent = traceParent,
                TraceState = traceState,
            };
        }
        AdmitOrThrow(tasks.Length);
        await admission.AdmitAsync(tenantId, tasks.Length, cancellationToken);
        var dag = new NewDag { TenantId = tenantId, Id = dagId, Plan = plan, Tasks = tasks };
        var outcome = await store.SubmitDagAsync(dag, Key(idempotencyKey, requestHash), cancellationToken);
        dispatcher.Dispatch(outcome.Dispatch);
        var record = await store.GetDagAsync(tenantId, outcome.DagId, cancellationToken)
            ?? throw new ApexNotFoundException("dag", outcome.DagId.ToString());
        var rows = await store.GetDagTasksAsync(tenantId, outcome.DagId, cancellationToken);
        return new DagSubmission(record, rows, outcome.Created);
    }

    /// <summary>Cancels a task (and, through its DAG's policy, what depends on it).</summary>
    public async Task CancelTaskAsync(string tenantId, Guid taskId, CancellationToken cancellationToken = default) =>
        Apply(await store.CancelTaskAsync(tenantId, taskId, cancellationToken));

    /// <summary>Cancels a DAG and every unfinished task of it.</summary>
    public async Task CancelDagAsync(string tenantId, Guid dagId, CancellationToken cancellationToken = default) =>
        Apply(await store.CancelDagAsync(tenantId, dagId, cancellationToken));

    /// <summary>Queues a failed or cancelled task again, with a fresh set of attempts.</summary>
    public async Task RetryTaskAsync(string tenantId, Guid taskId, CancellationToken cancellationToken = default) =>
        Apply(await store.RetryTaskAsync(tenantId, taskId, retryPolicy.DefaultMaxAttempts, cancellationToken));

    /// <summary>
    /// Approves or rejects a pending approval: approved, its task is queued for a new attempt that may take the action
    /// once; rejected, the task fails with <c>approval_rejected</c>. Only a human, through the API or CLI, gets here.
    /// </summary>
    public async Task DecideApprovalAsync(string tenantId, Guid approvalId, ApprovalDecision decision, CancellationToken cancellationToken = default) =>
        Apply(await store.DecideApprovalAsync(tenantId, approvalId, decision, cancellationToken));

    /// <summary>SHA-256 of a request body, hex: the fingerprint an idempotency key is bound to.</summary>
    public static string HashRequest(ReadOnlySpan<byte> body) => Convert.ToHexStringLower(SHA256.HashData(body));

    /// <summary>SHA-256 of a string.</summary>
    public static string HashRequest(string body) => HashRequest(Encoding.UTF8.GetBytes(body));

    /// <summary>
    /// Acts on what a transition changed: stops cancelled executions, drops queued tasks that ended without running,
    /// dispatches what became ready.
    /// </summary>
    public void Apply(TransitionOutcome outcome)
    {
        if (outcome.CancelRunning.Count > 0)
        {
            dispatcher.Cancel(outcome.CancelRunning);
        }
        if (outcome.Withdrawn.Count > 0)
        {
            dispatcher.Withdraw(outcome.Withdrawn);
        }
        if (outcome.Dispatch.Count > 0)
        {
            dispatcher.Dispatch(outcome.Dispatch);
        }
    }

    private NewTask Resolve(string tenantId, CreateTaskRequest request, string prefix, (string? Parent, string? State) trace) => new()
    {
        TenantId = tenantId,
        Id = Guid.CreateVersion7(timeProvider.GetUtcNow()),
        Name = string.IsNullOrWhiteSpace(request.Name) ? "task" : request.Name,
        Instruction = request.Instruction!,
        Agent = ResolveAgent(tenantId, request.Agent, prefix + "agent").Name,
        Priority = request.Priority ?? 0,
        MaxAttempts = request.MaxAttempts ?? retryPolicy.DefaultMaxAttempts,
        Limits = LimitPresets.Resolve(request.Limits),
        Metadata = request.Metadata,
        OutputSchema = TaskRules.SchemaText(request.OutputSchema),
        TraceParent = trace.Parent,
        TraceState = trace.State,
    };

    private AgentDefinition ResolveAgent(string tenantId, string? name, string field)
    {
        name ??= AgentDefinition.DefaultName;
        return agents.TryGet(tenantId, name, out var agent)
            ? agent
            : throw new ApexValidationException("unknown_agent", $"No agent named '{name}'. Create it with POST /api/v1/agents first.",
                new Dictionary<string, string[]> { [field] = [$"Unknown agent '{name}'."] });
    }

    private void AdmitOrThrow(int count)
    {
        var backlog = dispatcher.Backlog;
        if (backlog + count > options.Value.MaxQueuedTasks)
        {
            throw new ApexCapacityException("queue_full",
                $"The queue holds {backlog} tasks; the limit is {options.Value.MaxQueuedTasks} (setting Apex:Engine:MaxQueuedTasks).",
                TimeSpan.FromSeconds(5));
        }
    }

    private static IdempotencyKey? Key(string? key, string? hash) =>
        string.IsNullOrEmpty(key) ? null : new IdempotencyKey(key, hash ?? "");
}

/// <summary>A created (or idempotently replayed) task.</summary>
public sealed record TaskSubmission(TaskRecord Task, bool Created);

/// <summary>A created (or idempotently replayed) DAG and its tasks.</summary>
public sealed record DagSubmission(DagRecord Dag, IReadOnlyList<DagTaskRow> Tasks, bool Created);
