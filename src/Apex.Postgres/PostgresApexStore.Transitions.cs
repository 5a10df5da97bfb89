using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core.Dags;
using Apex.Core.Errors;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;

namespace Apex.Postgres;

public sealed partial class PostgresApexStore
{
    /// <summary>
    /// Claims one task (CAS queued → running); its DAG leaves pending in the same statement. DAG rows are locked in id
    /// order, so two servers starting the same DAGs at once cannot deadlock on them. <c>@now</c> is the claiming batch's
    /// time, which can be a moment older than the commit that created the task (another writer's batch, stamped later,
    /// committed first): a task never starts before it was created.
    /// </summary>
    internal const string ClaimSql = $"""
        WITH claimed AS (
            UPDATE tasks SET status = 'running', attempt = attempt + 1, started_at = GREATEST(@now, created_at), run_at = NULL, worker = @worker,
                version = version + 1
            WHERE id = @id AND status = 'queued'
            RETURNING {Rows.TaskColumns}
        {StartDagsSql}
        """;

    /// <summary>The end of every claim query: starts the pending DAGs of the <c>claimed</c> rows and returns the rows.</summary>
    private const string StartDagsSql = """
        ), started AS (
            UPDATE dags SET status = 'running', version = version + 1
            WHERE status = 'pending' AND id IN (
                SELECT id FROM dags WHERE id IN (SELECT dag_id FROM claimed) AND status = 'pending' ORDER BY id FOR UPDATE)
            RETURNING id AS started_id, version AS started_version
        )
        SELECT claimed.*, started.started_version FROM claimed LEFT JOIN started ON started.started_id = claimed.dag_id
        """;

    /// <summary>The end of both batch claim queries: moves the rows of <c>picked</c> to running and starts their pending DAGs.</summary>
    private const string ClaimPickedSql = $"""
        claimed AS (
            UPDATE tasks SET status = 'running', attempt = attempt + 1, started_at = GREATEST(@now, created_at), run_at = NULL, worker = @worker,
                version = version + 1
            WHERE id = ANY(ARRAY(SELECT picked_id FROM picked))
            RETURNING {Rows.TaskColumns}
        {StartDagsSql}
        ORDER BY claimed.priority DESC, claimed.created_at, claimed.id
        """;

    /// <summary>
    /// Claims the next queued tasks in dispatch order. SKIP LOCKED lets several servers claim at once: a row another
    /// transaction is claiming is passed over, and a row it claimed and committed no longer matches.
    /// <para>
    /// The update finds the picked rows by primary key only. Picked rows are locked by this statement, so they are
    /// still queued; repeating <c>status = 'queued'</c> there lets the planner use the queued index instead and, with
    /// statistics taken when the queue was short, filter the whole queue against the picked list (quadratic: 8 s
    /// instead of 60 ms for 1,000 of 20,000 queued tasks, measured).
    /// </para>
    /// </summary>
    internal const string ClaimNextSql = $"""
        WITH picked AS (
            SELECT id AS picked_id FROM tasks
            WHERE status = 'queued' AND (run_at IS NULL OR run_at <= @now)
            ORDER BY priority DESC, created_at, id
            LIMIT @max
            FOR UPDATE SKIP LOCKED
        ), {ClaimPickedSql}
        """;

    /// <summary>
    /// <see cref="ClaimNextSql"/> within each tenant's cap on running tasks (<c>@cap_tenants</c>/<c>@cap_values</c>, else
    /// <c>@default_cap</c>), under <see cref="PostgresMigrations.CappedClaimLock"/> so the counts hold until commit. Tenants
    /// at their cap are left out of the scan, so their backlog never hides the other tenants' tasks; a tenant with room
    /// gets at most that many of the batch.
    /// </summary>
    internal const string ClaimNextCappedSql = $"""
        WITH caps AS (
            SELECT * FROM unnest(@cap_tenants::text[], @cap_values::int[]) AS c(tenant_id, cap)
        ), busy AS (
            SELECT r.tenant_id, count(*) AS running, COALESCE(max(caps.cap), @default_cap) AS cap
            FROM tasks r LEFT JOIN caps ON caps.tenant_id = r.tenant_id
            WHERE r.status = 'running' GROUP BY r.tenant_id
        ), candidates AS (
            SELECT id, tenant_id, priority, created_at FROM tasks
            WHERE status = 'queued' AND (run_at IS NULL OR run_at <= @now)
                AND tenant_id NOT IN (SELECT tenant_id FROM busy WHERE running >= cap)
            ORDER BY priority DESC, created_at, id
            LIMIT @scan
            FOR UPDATE SKIP LOCKED
        ), ranked AS (
            SELECT c.id, c.priority, c.created_at,
                row_number() OVER (PARTITION BY c.tenant_id ORDER BY c.priority DESC, c.created_at, c.id) AS n,
                COALESCE(busy.running, 0) AS running, COALESCE(caps.cap, @default_cap) AS cap
            FROM candidates c LEFT JOIN busy ON busy.tenant_id = c.tenant_id LEFT JOIN caps ON caps.tenant_id = c.tenant_id
        ), picked AS (
            SELECT id AS picked_id FROM ranked WHERE running + n <= cap ORDER BY priority DESC, created_at, id LIMIT @max
        ), {ClaimPickedSql}
        """;

    /// <summary>Lease expiry: CAS on (running, attempt).</summary>
    internal const string RequeueSql = """
        UPDATE tasks SET status = 'queued', run_at = NULL, version = version + 1
        WHERE id = @id AND status = 'running' AND attempt = @attempt
        RETURNING tenant_id, version, dag_id
        """;

    /// <summary>Skips or cancels a set of unfinished tasks of a DAG (locked by the caller).</summary>
    internal const string EndManySql = $"""
        UPDATE tasks SET status = @status, output = NULL, error_code = @code, error_message = @message,
            finished_at = @now, run_at = NULL, version = version + 1
        WHERE id = ANY(@ids) AND status IN {Rows.NotFinished}
        """;

    /// <summary>Queues a failed attempt again at its retry time: CAS on (running, attempt).</summary>
    internal const string RetryScheduledSql = """
        UPDATE tasks SET status = 'queued', run_at = @run_at, error_code = @code, error_message = @message,
            input_tokens = input_tokens + @in, output_tokens = output_tokens + @out,
            cost_nanousd = cost_nanousd + @cost, api_calls = api_calls + @calls, version = version + 1
        WHERE id = @id AND status = 'running' AND attempt = @attempt
        """;

    /// <summary>One level of the breadth-first walk below a failed task: its pending dependents, in walk order.</summary>
    internal const string SkipLevelSql = """
        SELECT t.id, t.tenant_id, t.dag_id, t.key, t.name, t.instruction, t.agent, t.status, t.priority, t.attempt, t.max_attempts, t.output,
            t.error_code, t.error_message, t.input_tokens, t.output_tokens, t.cost_nanousd, t.api_calls, t.token_limit, t.cost_limit,
            t.time_limit_seconds, t.api_call_limit, t.metadata, t.created_at, t.run_at, t.started_at, t.finished_at, t.version, t.output_schema,
            t.traceparent, t.tracestate
        FROM task_edges e JOIN tasks t ON t.id = e.to_id
        WHERE e.from_id = ANY(@frontier) AND t.status = 'pending'
        ORDER BY array_position(@frontier, e.from_id), e.to_id
        """;

    internal const string LockTaskSql = $"SELECT {Rows.TaskColumns} FROM tasks WHERE id = @id FOR UPDATE";

    internal const string LockDagSql = $"SELECT {Rows.DagColumns} FROM dags WHERE id = @id FOR UPDATE";

    internal const string LockOpenTasksSql = $"""
        SELECT {Rows.TaskColumns} FROM tasks WHERE dag_id = @dag AND status IN {Rows.NotFinished} ORDER BY dag_position FOR UPDATE
        """;

    /// <inheritdoc />
    public Task<TaskRecord?> ClaimAsync(Guid taskId, string worker, CancellationToken cancellationToken = default) =>
        WriteAsync(WriteKey.Claim, async ctx =>
        {
            var claimed = await ClaimAsync(ctx, ClaimSql, worker, ("id", taskId), ("now", ctx.NowOffset), ("worker", worker));
            return claimed.Count == 0 ? null : claimed[0];
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<TaskRecord>> ClaimNextAsync(int max, string worker, CancellationToken cancellationToken = default) =>
        WriteAsync<IReadOnlyList<TaskRecord>>(WriteKey.Claim, async ctx =>
            max <= 0 ? [] : await ClaimAsync(ctx, ClaimNextSql, worker, ("max", max), ("now", ctx.NowOffset), ("worker", worker)),
            cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<TaskRecord>> ClaimNextAsync(int max, string worker, ConcurrencyCaps caps, CancellationToken cancellationToken = default) =>
        caps.IsUnlimited
            ? ClaimNextAsync(max, worker, cancellationToken)
            : WriteAsync<IReadOnlyList<TaskRecord>>(WriteKey.Claim, async ctx =>
            {
                if (max <= 0)
                {
                    return [];
                }
                await ctx.ExecuteAsync("SELECT pg_advisory_xact_lock(@lock)", ("lock", PostgresMigrations.CappedClaimLock));
                return await ClaimAsync(ctx, ClaimNextCappedSql, worker, ("max", max), ("scan", max * CappedClaimScanFactor), ("now", ctx.NowOffset),
                    ("worker", worker), ("cap_tenants", caps.Tenants.Keys.ToArray()), ("cap_values", caps.Tenants.Values.ToArray()),
                    ("default_cap", caps.Default));
            }, cancellationToken);

    /// <summary>
    /// A capped claim reads this many queued tasks per one it may claim: a tenant with little room among many of its own
    /// queued tasks then leaves room for the others' in the same batch.
    /// </summary>
    private const int CappedClaimScanFactor = 4;

    private static async Task<List<TaskRecord>> ClaimAsync(WriteContext ctx, string sql, string worker, params (string Name, object? Value)[] parameters)
    {
        var rows = await ctx.ListAsync(sql, r => (Task: Rows.ReadTask(r), DagVersion: r.IsDBNull(Rows.TaskColumnCount) ? (int?)null : r.GetInt32(Rows.TaskColumnCount)), parameters);
        var claimed = new List<TaskRecord>(rows.Count);
        HashSet<Guid>? started = null;
        foreach (var (task, dagVersion) in rows)
        {
            ctx.Forget(task.Id);
            ctx.Append(task.TenantId, EventTypes.Task, task.Id, task.Version, EventTypes.TaskStarted,
                new TaskStartedData(task.Attempt, worker), CoreJsonContext.Default.TaskStartedData, task.DagId);
            if (task.DagId is { } dagId && dagVersion is { } version && (started ??= []).Add(dagId))
            {
                ctx.ForgetDag(dagId);
                ctx.Append(task.TenantId, EventTypes.Dag, dagId, version, EventTypes.DagStarted, new DagEventData(), CoreJsonContext.Default.DagEventData, dagId);
            }
            claimed.Add(task);
        }
        return claimed;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<RunningAttempt>> ListRunningAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<RunningAttempt>>(async c =>
        {
            await using var command = Command(c, "SELECT id, attempt, started_at FROM tasks WHERE status = 'running' ORDER BY started_at, id");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var running = new List<RunningAttempt>();
            while (await reader.ReadAsync(cancellationToken))
            {
                running.Add(new RunningAttempt(reader.GetGuid(0), reader.GetInt32(1), Rows.TimeOrNull(reader, 2)));
            }
            return running;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<bool> RequeueAsync(Guid taskId, int attempt, string reason, CancellationToken cancellationToken = default) =>
        WriteAsync(WriteKey.OfTask(taskId), async ctx =>
        {
            var rows = await ctx.ListAsync(RequeueSql, r => (Tenant: r.GetString(0), Version: r.GetInt32(1), Dag: Rows.GuidOrNull(r, 2)),
                ("id", taskId), ("attempt", attempt));
            if (rows is not [var row])
            {
                return false;
            }
            ctx.Append(row.Tenant, EventTypes.Task, taskId, row.Version, EventTypes.TaskRequeued,
                new TaskRequeuedData(attempt, reason), CoreJsonContext.Default.TaskRequeuedData, row.Dag);
            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<TransitionOutcome> CompleteAsync(AttemptResult result, CancellationToken cancellationToken = default) =>
        WriteAsync(WriteKey.OfTask(result.TaskId), async ctx =>
        {
            var dag = await LockDagOfTaskAsync(ctx, result.TaskId);
            var task = await LockTaskAsync(ctx, result.TenantId, result.TaskId) ?? throw new ApexNotFoundException("task", result.TaskId.ToString());
            ctx.RecordUsage(task, result);
            await UseApprovalsAsync(ctx, task, result);
            if (!result.IsCurrentFor(task))
            {
                var version = await BumpAsync(ctx, task, result.Usage);
                ctx.Append(task.TenantId, EventTypes.Task, task.Id, version, EventTypes.TaskResultIgnored,
                    result.IgnoredBy(task),
                    CoreJsonContext.Default.TaskResultIgnoredData, task.DagId);
                return TransitionOutcome.Ignored;
            }

            var changes = new TransitionChanges();
            switch (result.OutcomeFor(task))
            {
                case AttemptOutcome.Succeeded:
                    await EndAsync(ctx, task, TaskState.Succeeded, result.Output ?? "", null, result.Usage, result.CascadeSteps());
                    await PropagateAsync(ctx, task, dag, TaskState.Succeeded, changes);
                    break;
                case AttemptOutcome.RetryScheduled:
                    var runAt = Rows.Truncate(result.RetryAt ?? ctx.NowOffset);
                    var error = result.ErrorOrUnknown;
                    await ExpectOneAsync(ctx, RetryScheduledSql,
                        ("id", task.Id), ("attempt", task.Attempt), ("run_at", runAt), ("code", error.Code), ("message", error.Message),
                        ("in", result.Usage.InputTokens), ("out", result.Usage.OutputTokens), ("cost", StoreValues.ToNanos(result.Usage.CostUsd)),
                        ("calls", result.Usage.ApiCalls));
                    ctx.Append(task.TenantId, EventTypes.Task, task.Id, task.Version + 1, EventTypes.TaskRetryScheduled,
                        new TaskRetryScheduledData(task.Attempt, error, runAt, result.Usage), CoreJsonContext.Default.TaskRetryScheduledData, task.DagId);
                    changes.Ready(new DispatchItem(task.Id, task.Priority, 0, DispatchItem.Lane(task.TenantId, task.Agent), runAt));
                    break;
                case AttemptOutcome.AwaitingApproval:
                    await AwaitApprovalAsync(ctx, task, result);
                    break;
                default:
                    await EndAsync(ctx, task, TaskState.Failed, null, result.ErrorOrUnknown, result.Usage);
                    await PropagateAsync(ctx, task, dag, TaskState.Failed, changes);
                    break;
            }
            return changes.ToOutcome();
        }, cancellationToken);

    /// <inheritdoc />
    public Task<TransitionOutcome> CancelTaskAsync(string tenantId, Guid taskId, CancellationToken cancellationToken = default) =>
        WriteAsync(WriteKey.OfTask(taskId), async ctx =>
        {
            var dag = await LockDagOfTaskAsync(ctx, taskId);
            var task = await LockTaskAsync(ctx, tenantId, taskId) ?? throw new ApexNotFoundException("task", taskId.ToString());
            if (task.Status.IsTerminal())
            {
                throw new ApexConflictException("task_not_cancellable", $"The task is already {task.Status.Name()}.");
            }
            var changes = new TransitionChanges();
            changes.Ending(task);
            await EndAsync(ctx, task, TaskState.Cancelled, null, new TaskError("cancelled", "Cancelled by a user."), UsageDelta.None);
            await PropagateAsync(ctx, task, dag, TaskState.Cancelled, changes);
            return changes.ToOutcome();
        }, cancellationToken);

    /// <inheritdoc />
    public Task<TransitionOutcome> CancelDagAsync(string tenantId, Guid dagId, CancellationToken cancellationToken = default) =>
        WriteAsync(WriteKey.OfDag(dagId), async ctx =>
        {
            var dag = await LockDagAsync(ctx, dagId);
            if (dag is null || dag.TenantId != tenantId)
            {
                throw new ApexNotFoundException("dag", dagId.ToString());
            }
            if (dag.Status is DagState.Succeeded or DagState.Failed or DagState.Cancelled)
            {
                throw new ApexConflictException("dag_not_cancellable", $"The DAG is already {dag.Status.Name()}.");
            }
            var open = await LockOpenTasksAsync(ctx, dagId);
            var changes = new TransitionChanges();
            open.ForEach(changes.Ending);
            await EndManyAsync(ctx, open, TaskState.Cancelled, new TaskError("cancelled", "The DAG was cancelled."));
            AppendEnded(ctx, open, TaskState.Cancelled, _ => new TaskError("cancelled", "The DAG was cancelled."));
            await FinishDagAsync(ctx, dag, DagState.Cancelled, open.Count, new DagEventData("cancelled"));
            return changes.ToOutcome();
        }, cancellationToken);

    /// <inheritdoc />
    public Task<TransitionOutcome> RetryTaskAsync(string tenantId, Guid taskId, int extraAttempts, CancellationToken cancellationToken = default) =>
        WriteAsync(WriteKey.OfTask(taskId), async ctx =>
        {
            await LockDagOfTaskAsync(ctx, taskId);
            var task = await LockTaskAsync(ctx, tenantId, taskId) ?? throw new ApexNotFoundException("task", taskId.ToString());
            if (task.Status is not (TaskState.Failed or TaskState.Cancelled))
            {
                throw new ApexConflictException("task_not_retryable", $"Only failed or cancelled tasks can be retried; this one is {task.Status.Name()}.");
            }
            if (task.DagId is not null)
            {
                throw new ApexConflictException("dag_task_not_retryable",
                    "Tasks of a DAG cannot be retried one by one yet: their dependents were already skipped. Submit the DAG again.");
            }
            var maxAttempts = task.Attempt + extraAttempts;
            await ExpectOneAsync(ctx, """
                UPDATE tasks SET status = 'queued', max_attempts = @max, output = NULL, error_code = NULL, error_message = NULL,
                    finished_at = NULL, run_at = NULL, version = version + 1
                WHERE id = @id AND status = @from AND attempt = @attempt
                """, ("id", task.Id), ("max", maxAttempts), ("from", task.Status.Name()), ("attempt", task.Attempt));
            ctx.Append(task.TenantId, EventTypes.Task, task.Id, task.Version + 1, EventTypes.TaskRetried,
                new TaskRetriedData(maxAttempts, task.Instruction), CoreJsonContext.Default.TaskRetriedData, task.DagId);
            return new TransitionOutcome(true, [new DispatchItem(task.Id, task.Priority, 0, DispatchItem.Lane(task.TenantId, task.Agent))], [], []);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<DispatchItem>> RecoverAsync(string worker, CancellationToken cancellationToken = default) =>
        WriteAsync<IReadOnlyList<DispatchItem>>(WriteKey.None, async ctx =>
        {
            var requeued = await ctx.ListAsync("""
                UPDATE tasks SET status = 'queued', run_at = NULL, version = version + 1 WHERE status = 'running'
                RETURNING id, tenant_id, attempt, version, dag_id, started_at
                """, r => (Id: r.GetGuid(0), Tenant: r.GetString(1), Attempt: r.GetInt32(2), Version: r.GetInt32(3), Dag: Rows.GuidOrNull(r, 4),
                StartedAt: Rows.TimeOrNull(r, 5)));
            foreach (var task in requeued.OrderBy(t => t.StartedAt).ThenBy(t => t.Id))
            {
                ctx.Append(task.Tenant, EventTypes.Task, task.Id, task.Version, EventTypes.TaskRequeued,
                    new TaskRequeuedData(task.Attempt, "worker_lost"), CoreJsonContext.Default.TaskRequeuedData, task.Dag);
            }
            var queued = await ctx.ListAsync("""
                SELECT id, priority, tenant_id, agent, run_at FROM tasks WHERE status = 'queued' ORDER BY priority DESC, created_at, id
                """, r => (Id: r.GetGuid(0), Priority: r.GetInt32(1), Lane: DispatchItem.Lane(r.GetString(2), r.GetString(3)), RunAt: Rows.TimeOrNull(r, 4)));
            return queued.Select((t, i) => new DispatchItem(t.Id, t.Priority, i, t.Lane, t.RunAt)).ToList();
        }, cancellationToken);

    /// <summary>
    /// Applies a task's terminal state to its DAG (locked by the caller): ready dependents, failure policy, DAG completion.
    /// Holding the DAG row makes the "last task done" check exact when two servers finish a DAG's last tasks together.
    /// </summary>
    private static async Task PropagateAsync(WriteContext ctx, TaskRecord task, DagRecord? dag, TaskState terminal, TransitionChanges changes)
    {
        if (dag is null || dag.Status is DagState.Succeeded or DagState.Failed or DagState.Cancelled)
        {
            return;
        }
        var done = 1;
        DagEventData? failure = null;
        if (terminal == TaskState.Succeeded)
        {
            // Its ready dependents are looked up with the group's other successes, in the round trip of the next statement.
            ctx.DeferReadyLookup(task.Id, changes);
        }
        else
        {
            failure = new DagEventData(terminal == TaskState.Cancelled ? "task_cancelled" : "task_failed", task.Key);
            var error = new TaskError("dependency_failed", $"Task '{task.Key}' {terminal.Name()}.");
            if (dag.FailurePolicy == FailurePolicy.FailFast)
            {
                var others = await LockOpenTasksAsync(ctx, dag.Id);
                var running = others.Where(IsRunning).ToList();
                var notStarted = others.Where(t => !IsRunning(t)).ToList();
                var cancelled = new TaskError("dag_failed", $"Cancelled: task '{task.Key}' {terminal.Name()} and the DAG fails fast.");
                await EndManyAsync(ctx, running, TaskState.Cancelled, cancelled);
                await EndManyAsync(ctx, notStarted, TaskState.Skipped, error);
                foreach (var other in others)
                {
                    var isRunning = IsRunning(other);
                    changes.Ending(other);
                    AppendEnded(ctx, [other], isRunning ? TaskState.Cancelled : TaskState.Skipped, _ => isRunning ? cancelled : error);
                }
                done += others.Count;
            }
            else
            {
                done += await SkipDescendantsAsync(ctx, task.Id, error);
            }
        }

        if (dag.TasksDone + done < dag.TaskCount)
        {
            ctx.DeferDagDone(dag, done);
            return;
        }
        var unsuccessful = await ctx.ScalarAsync("""
            SELECT key FROM tasks WHERE dag_id = @dag AND status <> 'succeeded' ORDER BY finished_at, dag_position LIMIT 1
            """, ("dag", dag.Id));
        await FinishDagAsync(ctx, dag, unsuccessful is null ? DagState.Succeeded : DagState.Failed, done,
            failure ?? (unsuccessful is string key ? new DagEventData("task_failed", key) : new DagEventData()));

        static bool IsRunning(TaskRecord t) => t.Status is TaskState.Running or TaskState.AwaitingApproval;
    }

    /// <summary>Breadth-first, one query per level: marks every pending descendant skipped; returns how many.</summary>
    private static async Task<int> SkipDescendantsAsync(WriteContext ctx, Guid root, TaskError error)
    {
        var skipped = 0;
        Guid[] frontier = [root];
        while (frontier.Length > 0)
        {
            var level = await ctx.ListAsync(SkipLevelSql, Rows.ReadTask, ("frontier", frontier));
            var next = level.DistinctBy(t => t.Id).ToList();
            await EndManyAsync(ctx, next, TaskState.Skipped, error);
            AppendEnded(ctx, next, TaskState.Skipped, _ => error);
            skipped += next.Count;
            frontier = [.. next.Select(t => t.Id)];
        }
        return skipped;
    }

    /// <summary>
    /// Moves a locked task to a terminal state and appends the matching event. The update (a CAS on the status and
    /// attempt it was locked at) is buffered, so consecutive completions of a group become one statement.
    /// </summary>
    private static async Task EndAsync(WriteContext ctx, TaskRecord task, TaskState state, string? output, TaskError? error, UsageDelta usage,
        IReadOnlyList<CascadeStep>? cascade = null)
    {
        await CancelPendingApprovalsAsync(ctx, [task]);
        await ctx.DeferEndAsync(task, state, output, error, usage);
        var version = task.Version + 1;
        if (state == TaskState.Succeeded)
        {
            ctx.Append(task.TenantId, EventTypes.Task, task.Id, version, EventTypes.TaskSucceeded,
                new TaskSucceededData(task.Attempt, output ?? "", usage, cascade), CoreJsonContext.Default.TaskSucceededData, task.DagId);
            return;
        }
        ctx.Append(task.TenantId, EventTypes.Task, task.Id, version, EndedEventType(state), new TaskEndedData(task.Attempt, error!, usage),
            CoreJsonContext.Default.TaskEndedData, task.DagId);
    }

    /// <summary>Ends a set of locked, unfinished tasks in one statement; their events are appended by the caller.</summary>
    private static async Task EndManyAsync(WriteContext ctx, IReadOnlyList<TaskRecord> tasks, TaskState state, TaskError error)
    {
        if (tasks.Count == 0)
        {
            return;
        }
        await CancelPendingApprovalsAsync(ctx, tasks);
        foreach (var task in tasks)
        {
            ctx.Forget(task.Id);
        }
        await ExpectAsync(ctx, tasks.Count, EndManySql,
            ("ids", tasks.Select(t => t.Id).ToArray()), ("status", state.Name()), ("code", error.Code), ("message", error.Message),
            ("now", ctx.NowOffset));
    }

    private static void AppendEnded(WriteContext ctx, IEnumerable<TaskRecord> tasks, TaskState state, Func<TaskRecord, TaskError> error)
    {
        foreach (var task in tasks)
        {
            ctx.Append(task.TenantId, EventTypes.Task, task.Id, task.Version + 1, EndedEventType(state),
                new TaskEndedData(task.Attempt, error(task), UsageDelta.None), CoreJsonContext.Default.TaskEndedData, task.DagId);
        }
    }

    private static string EndedEventType(TaskState state) => state switch
    {
        TaskState.Failed => EventTypes.TaskFailed,
        TaskState.Cancelled => EventTypes.TaskCancelled,
        _ => EventTypes.TaskSkipped,
    };

    /// <summary>A stale result: its usage still counts (the money was spent).</summary>
    private static async Task<int> BumpAsync(WriteContext ctx, TaskRecord task, UsageDelta usage)
    {
        await ExpectOneAsync(ctx, """
            UPDATE tasks SET input_tokens = input_tokens + @in, output_tokens = output_tokens + @out,
                cost_nanousd = cost_nanousd + @cost, api_calls = api_calls + @calls, version = version + 1
            WHERE id = @id
            """,
            ("id", task.Id), ("in", usage.InputTokens), ("out", usage.OutputTokens), ("cost", StoreValues.ToNanos(usage.CostUsd)), ("calls", usage.ApiCalls));
        return task.Version + 1;
    }

    private static async Task FinishDagAsync(WriteContext ctx, DagRecord dag, DagState state, int moreDone, DagEventData data)
    {
        await ExpectOneAsync(ctx, """
            UPDATE dags SET status = @status, finished_at = @now, tasks_done = tasks_done + @more, version = version + 1 WHERE id = @id
            """, ("id", dag.Id), ("status", state.Name()), ("now", ctx.NowOffset), ("more", moreDone));
        ctx.RememberDag(dag with { Status = state, FinishedAt = ctx.NowOffset, TasksDone = dag.TasksDone + moreDone, Version = dag.Version + 1 });
        var type = state switch
        {
            DagState.Succeeded => EventTypes.DagSucceeded,
            DagState.Cancelled => EventTypes.DagCancelled,
            _ => EventTypes.DagFailed,
        };
        ctx.Append(dag.TenantId, EventTypes.Dag, dag.Id, dag.Version + 1, type, data, CoreJsonContext.Default.DagEventData, dag.Id);
    }

    /// <summary>Locks a task row; null when absent or of another tenant (when <paramref name="tenantId"/> is given).</summary>
    private static async Task<TaskRecord?> LockTaskAsync(WriteContext ctx, string? tenantId, Guid taskId)
    {
        var task = ctx.TakeLocked(taskId) ?? await ctx.SingleOrDefaultAsync(LockTaskSql, Rows.ReadTask, ("id", taskId));
        return task is not null && (tenantId is null || task.TenantId == tenantId) ? task : null;
    }

    /// <summary>Locks a DAG row, or reads it as this group left it when the group holds it already.</summary>
    private static async Task<DagRecord?> LockDagAsync(WriteContext ctx, Guid dagId)
    {
        if (ctx.LockedDag(dagId) is { } locked)
        {
            return locked;
        }
        ctx.PlanForArguments();
        var dag = await ctx.SingleOrDefaultAsync(LockDagSql, Rows.ReadDag, ("id", dagId));
        if (dag is not null)
        {
            ctx.RememberDag(dag);
        }
        return dag;
    }

    /// <summary>Locks the DAG of a task, before the task itself: every DAG write takes the DAG row first.</summary>
    private static async Task<DagRecord?> LockDagOfTaskAsync(WriteContext ctx, Guid taskId) =>
        await ctx.DagOfAsync(taskId) is { } dagId ? await LockDagAsync(ctx, dagId) : null;

    /// <summary>
    /// The unfinished tasks of a DAG, locked: a claim on another server (which does not take the DAG lock) is waited for,
    /// so a task it just started is seen as running and cancelled rather than skipped.
    /// </summary>
    private static Task<List<TaskRecord>> LockOpenTasksAsync(WriteContext ctx, Guid dagId) =>
        ctx.ListAsync(LockOpenTasksSql, Rows.ReadTask, ("dag", dagId));

    private static Task ExpectOneAsync(WriteContext ctx, string sql, params (string Name, object? Value)[] parameters) =>
        ExpectAsync(ctx, 1, sql, parameters);

    /// <summary>Runs a compare-and-set update on rows this transaction holds; a miss is a bug, not a race.</summary>
    private static async Task ExpectAsync(WriteContext ctx, int expected, string sql, params (string Name, object? Value)[] parameters)
    {
        var changed = await ctx.ExecuteAsync(sql, parameters);
        if (changed != expected)
        {
            throw new InvalidOperationException($"A compare-and-set update on locked rows changed {changed} row(s) instead of {expected}.");
        }
    }
}
