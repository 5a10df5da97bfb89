using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core.Dags;
using Apex.Core.Errors;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;

namespace Apex.Sqlite;

public sealed partial class SqliteApexStore
{
    private const string NotFinished = "('pending', 'queued', 'running', 'awaiting_approval')";

    /// <inheritdoc />
    public Task<TaskRecord?> ClaimAsync(Guid taskId, string worker, CancellationToken cancellationToken = default) =>
        WriteAsync(ctx => Claim(ctx, taskId, worker), cancellationToken);

    private static TaskRecord? Claim(WriteContext ctx, Guid taskId, string worker)
    {
        TaskRecord? task;
        using (var reader = ctx.Query($"""
            UPDATE tasks SET status = 'running', attempt = attempt + 1, started_at = $at, run_at = NULL, worker = $worker,
                version = version + 1
            WHERE id = $id AND status = 'queued'
            RETURNING {Rows.TaskColumns}
            """, ("$id", taskId.ToString()), ("$at", ctx.Now), ("$worker", worker)))
        {
            task = reader.Read() ? Rows.ReadTask(reader) : null;
        }
        if (task is null)
        {
            return null;
        }
        ctx.Append(task.TenantId, EventTypes.Task, task.Id, task.Version, EventTypes.TaskStarted,
            new TaskStartedData(task.Attempt, worker), CoreJsonContext.Default.TaskStartedData, task.DagId);
        if (task.DagId is { } dagId)
        {
            var version = ctx.Scalar("UPDATE dags SET status = 'running', version = version + 1 WHERE id = $id AND status = 'pending' RETURNING version",
                ("$id", dagId.ToString()));
            if (version is long v)
            {
                ctx.Append(task.TenantId, EventTypes.Dag, dagId, (int)v, EventTypes.DagStarted, new DagEventData(), CoreJsonContext.Default.DagEventData, dagId);
            }
        }
        return task;
    }

    /// <summary>
    /// Starts <paramref name="item"/>, just made ready by this write, on an idle worker of this process when one is free
    /// for it (<see cref="IEagerStarts"/>): claimed here, handed to that worker once committed. False: the caller hands
    /// the item to the engine to dispatch.
    /// </summary>
    private static bool TryStartEagerly(WriteContext ctx, in DispatchItem item)
    {
        if (ctx.Starts is not { } starts || !starts.TryReserve(item))
        {
            return false;
        }
        if (Claim(ctx, item.Id, starts.Worker) is { } task)
        {
            ctx.Started.Add((item, task));
            return true;
        }
        starts.Release(item);
        return false;
    }

    /// <summary>Records <paramref name="item"/> as ready unless it starts in this write (<see cref="TryStartEagerly"/>).</summary>
    private static void StartOrReady(WriteContext ctx, DispatchItem item, TransitionChanges changes)
    {
        if (!TryStartEagerly(ctx, item))
        {
            changes.Ready(item);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<TaskRecord>> ClaimNextAsync(int max, string worker, CancellationToken cancellationToken = default) =>
        WriteAsync<IReadOnlyList<TaskRecord>>(ctx =>
        {
            var ids = new List<string>();
            using (var reader = ctx.Query("""
                SELECT id FROM tasks WHERE status = 'queued' AND (run_at IS NULL OR run_at <= $now)
                ORDER BY priority DESC, created_at, id LIMIT $max
                """, ("$now", ctx.Now), ("$max", max)))
            {
                while (reader.Read())
                {
                    ids.Add(reader.GetString(0));
                }
            }
            return ClaimAll(ctx, ids, worker);
        }, cancellationToken);

    private static List<TaskRecord> ClaimAll(WriteContext ctx, List<string> ids, string worker)
    {
        var claimed = new List<TaskRecord>(ids.Count);
        foreach (var id in ids)
        {
            if (Claim(ctx, Guid.Parse(id), worker) is { } task)
            {
                claimed.Add(task);
            }
        }
        return claimed;
    }

    /// <inheritdoc />
    /// <remarks>One writer: the counts read here hold until this write ends.</remarks>
    public Task<IReadOnlyList<TaskRecord>> ClaimNextAsync(int max, string worker, ConcurrencyCaps caps, CancellationToken cancellationToken = default) =>
        caps.IsUnlimited
            ? ClaimNextAsync(max, worker, cancellationToken)
            : WriteAsync<IReadOnlyList<TaskRecord>>(ctx =>
            {
                var running = new Dictionary<string, long>(StringComparer.Ordinal);
                using (var reader = ctx.Query("SELECT tenant_id, count(*) FROM tasks WHERE status = 'running' GROUP BY tenant_id"))
                {
                    while (reader.Read())
                    {
                        running[reader.GetString(0)] = reader.GetInt64(1);
                    }
                }
                var picked = new List<string>();
                using (var reader = ctx.Query("""
                    SELECT id, tenant_id FROM tasks WHERE status = 'queued' AND (run_at IS NULL OR run_at <= $now)
                    ORDER BY priority DESC, created_at, id
                    """, ("$now", ctx.Now)))
                {
                    while (picked.Count < max && reader.Read())
                    {
                        var tenant = reader.GetString(1);
                        var busy = running.GetValueOrDefault(tenant);
                        if (busy < caps.CapOf(tenant))
                        {
                            running[tenant] = busy + 1;
                            picked.Add(reader.GetString(0));
                        }
                    }
                }
                return ClaimAll(ctx, picked, worker);
            }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<RunningAttempt>> ListRunningAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<RunningAttempt>>(c =>
        {
            using var command = Command(c, "SELECT id, attempt, started_at FROM tasks WHERE status = 'running' ORDER BY started_at");
            using var reader = command.ExecuteReader();
            var running = new List<RunningAttempt>();
            while (reader.Read())
            {
                running.Add(new RunningAttempt(Guid.Parse(reader.GetString(0)), reader.GetInt32(1), Rows.TimeOrNull(reader, 2)));
            }
            return running;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<bool> RequeueAsync(Guid taskId, int attempt, string reason, CancellationToken cancellationToken = default) =>
        WriteAsync(ctx =>
        {
            var task = LoadTask(ctx, null, taskId);
            if (task is null || task.Status != TaskState.Running || task.Attempt != attempt)
            {
                return false;
            }
            ctx.Execute("UPDATE tasks SET status = 'queued', run_at = NULL, version = version + 1 WHERE id = $id", ("$id", taskId.ToString()));
            ctx.Append(task.TenantId, EventTypes.Task, task.Id, task.Version + 1, EventTypes.TaskRequeued,
                new TaskRequeuedData(task.Attempt, reason), CoreJsonContext.Default.TaskRequeuedData, task.DagId);
            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<TransitionOutcome> CompleteAsync(AttemptResult result, CancellationToken cancellationToken = default) =>
        WriteAsync(ctx =>
        {
            var task = LoadTask(ctx, result.TenantId, result.TaskId) ?? throw new ApexNotFoundException("task", result.TaskId.ToString());
            RecordUsage(ctx, task, result);
            UseApprovals(ctx, task, result);
            if (!result.IsCurrentFor(task))
            {
                var version = Bump(ctx, task, result.Usage);
                ctx.Append(task.TenantId, EventTypes.Task, task.Id, version, EventTypes.TaskResultIgnored,
                    result.IgnoredBy(task),
                    CoreJsonContext.Default.TaskResultIgnoredData, task.DagId);
                return TransitionOutcome.Ignored;
            }

            var changes = new TransitionChanges();
            switch (result.OutcomeFor(task))
            {
                case AttemptOutcome.Succeeded:
                    End(ctx, task, TaskState.Succeeded, result.Output ?? "", null, result.Usage, result.CascadeSteps());
                    Propagate(ctx, task, TaskState.Succeeded, changes);
                    break;
                case AttemptOutcome.RetryScheduled:
                    var runAt = Rows.Time((result.RetryAt ?? ctx.NowOffset).ToUnixTimeMilliseconds());
                    var error = result.ErrorOrUnknown;
                    ctx.Execute("""
                        UPDATE tasks SET status = 'queued', run_at = $run_at, error_code = $code, error_message = $message,
                            input_tokens = input_tokens + $in, output_tokens = output_tokens + $out,
                            cost_nanousd = cost_nanousd + $cost, api_calls = api_calls + $calls, version = version + 1
                        WHERE id = $id
                        """,
                        ("$id", task.Id.ToString()), ("$run_at", runAt.ToUnixTimeMilliseconds()), ("$code", error.Code), ("$message", error.Message),
                        ("$in", result.Usage.InputTokens), ("$out", result.Usage.OutputTokens), ("$cost", StoreValues.ToNanos(result.Usage.CostUsd)),
                        ("$calls", result.Usage.ApiCalls));
                    ctx.Append(task.TenantId, EventTypes.Task, task.Id, task.Version + 1, EventTypes.TaskRetryScheduled,
                        new TaskRetryScheduledData(task.Attempt, error, runAt, result.Usage), CoreJsonContext.Default.TaskRetryScheduledData, task.DagId);
                    StartOrReady(ctx, new DispatchItem(task.Id, task.Priority, 0, DispatchItem.Lane(task.TenantId, task.Agent), runAt), changes);
                    break;
                case AttemptOutcome.AwaitingApproval:
                    AwaitApproval(ctx, task, result);
                    break;
                default:
                    End(ctx, task, TaskState.Failed, null, result.ErrorOrUnknown, result.Usage);
                    Propagate(ctx, task, TaskState.Failed, changes);
                    break;
            }
            return changes.ToOutcome();
        }, cancellationToken);

    /// <inheritdoc />
    public Task<TransitionOutcome> CancelTaskAsync(string tenantId, Guid taskId, CancellationToken cancellationToken = default) =>
        WriteAsync(ctx =>
        {
            var task = LoadTask(ctx, tenantId, taskId) ?? throw new ApexNotFoundException("task", taskId.ToString());
            if (task.Status.IsTerminal())
            {
                throw new ApexConflictException("task_not_cancellable", $"The task is already {task.Status.Name()}.");
            }
            var changes = new TransitionChanges();
            changes.Ending(task);
            End(ctx, task, TaskState.Cancelled, null, new TaskError("cancelled", "Cancelled by a user."), UsageDelta.None);
            Propagate(ctx, task, TaskState.Cancelled, changes);
            return changes.ToOutcome();
        }, cancellationToken);

    /// <inheritdoc />
    public Task<TransitionOutcome> CancelDagAsync(string tenantId, Guid dagId, CancellationToken cancellationToken = default) =>
        WriteAsync(ctx =>
        {
            var dag = LoadDag(ctx, tenantId, dagId) ?? throw new ApexNotFoundException("dag", dagId.ToString());
            if (dag.Status is DagState.Succeeded or DagState.Failed or DagState.Cancelled)
            {
                throw new ApexConflictException("dag_not_cancellable", $"The DAG is already {dag.Status.Name()}.");
            }
            var changes = new TransitionChanges();
            var open = LoadTasks(ctx, $"WHERE dag_id = $dag AND status IN {NotFinished}", ("$dag", dagId.ToString()));
            foreach (var task in open)
            {
                changes.Ending(task);
                End(ctx, task, TaskState.Cancelled, null, new TaskError("cancelled", "The DAG was cancelled."), UsageDelta.None);
            }
            FinishDag(ctx, dag, DagState.Cancelled, open.Count, new DagEventData("cancelled"));
            return changes.ToOutcome();
        }, cancellationToken);

    /// <inheritdoc />
    public Task<TransitionOutcome> RetryTaskAsync(string tenantId, Guid taskId, int extraAttempts, CancellationToken cancellationToken = default) =>
        WriteAsync(ctx =>
        {
            var task = LoadTask(ctx, tenantId, taskId) ?? throw new ApexNotFoundException("task", taskId.ToString());
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
            ctx.Execute("""
                UPDATE tasks SET status = 'queued', max_attempts = $max, output = NULL, error_code = NULL, error_message = NULL,
                    finished_at = NULL, run_at = NULL, version = version + 1
                WHERE id = $id
                """, ("$id", task.Id.ToString()), ("$max", maxAttempts));
            ctx.Append(task.TenantId, EventTypes.Task, task.Id, task.Version + 1, EventTypes.TaskRetried,
                new TaskRetriedData(maxAttempts, task.Instruction), CoreJsonContext.Default.TaskRetriedData, task.DagId);
            var item = new DispatchItem(task.Id, task.Priority, 0, DispatchItem.Lane(task.TenantId, task.Agent));
            return new TransitionOutcome(true, TryStartEagerly(ctx, item) ? [] : [item], [], []);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<DispatchItem>> RecoverAsync(string worker, CancellationToken cancellationToken = default) =>
        WriteAsync<IReadOnlyList<DispatchItem>>(ctx =>
        {
            foreach (var task in LoadTasks(ctx, "WHERE status = 'running'"))
            {
                ctx.Execute("UPDATE tasks SET status = 'queued', run_at = NULL, version = version + 1 WHERE id = $id", ("$id", task.Id.ToString()));
                ctx.Append(task.TenantId, EventTypes.Task, task.Id, task.Version + 1, EventTypes.TaskRequeued,
                    new TaskRequeuedData(task.Attempt, "worker_lost"), CoreJsonContext.Default.TaskRequeuedData, task.DagId);
            }
            var items = new List<DispatchItem>();
            using var reader = ctx.Query("SELECT id, priority, tenant_id, agent, run_at FROM tasks WHERE status = 'queued' ORDER BY priority DESC, created_at");
            while (reader.Read())
            {
                items.Add(new DispatchItem(Guid.Parse(reader.GetString(0)), reader.GetInt32(1), items.Count,
                    DispatchItem.Lane(reader.GetString(2), reader.GetString(3)), Rows.TimeOrNull(reader, 4)));
            }
            return items;
        }, cancellationToken);

    /// <summary>Applies a task's terminal state to its DAG: ready dependents, failure policy, DAG completion.</summary>
    private static void Propagate(WriteContext ctx, TaskRecord task, TaskState terminal, TransitionChanges changes)
    {
        if (task.DagId is not { } dagId)
        {
            return;
        }
        var dag = LoadDag(ctx, task.TenantId, dagId)!;
        if (dag.Status is DagState.Succeeded or DagState.Failed or DagState.Cancelled)
        {
            return;
        }
        var done = 1;
        DagEventData? failure = null;
        if (terminal == TaskState.Succeeded)
        {
            foreach (var dependent in Dependents(ctx, task.Id))
            {
                if (PromoteIfReady(ctx, dependent) is { } item)
                {
                    StartOrReady(ctx, item, changes);
                }
            }
        }
        else
        {
            failure = new DagEventData(terminal == TaskState.Cancelled ? "task_cancelled" : "task_failed", task.Key);
            var error = new TaskError("dependency_failed", $"Task '{task.Key}' {terminal.Name()}.");
            if (dag.FailurePolicy == FailurePolicy.FailFast)
            {
                foreach (var other in LoadTasks(ctx, $"WHERE dag_id = $dag AND status IN {NotFinished}", ("$dag", dagId.ToString())))
                {
                    var running = other.Status is TaskState.Running or TaskState.AwaitingApproval;
                    changes.Ending(other);
                    End(ctx, other, running ? TaskState.Cancelled : TaskState.Skipped, null,
                        running ? new TaskError("dag_failed", $"Cancelled: task '{task.Key}' {terminal.Name()} and the DAG fails fast.") : error,
                        UsageDelta.None);
                    done++;
                }
            }
            else
            {
                done += SkipDescendants(ctx, task.Id, error);
            }
        }

        ctx.Execute("UPDATE dags SET tasks_done = tasks_done + $done WHERE id = $id", ("$id", dagId.ToString()), ("$done", done));
        if (dag.TasksDone + done >= dag.TaskCount)
        {
            var unsuccessful = ctx.Scalar("SELECT key FROM tasks WHERE dag_id = $dag AND status <> 'succeeded' ORDER BY finished_at LIMIT 1",
                ("$dag", dagId.ToString()));
            FinishDag(ctx, dag with { TasksDone = dag.TasksDone + done }, unsuccessful is null ? DagState.Succeeded : DagState.Failed, 0,
                failure ?? (unsuccessful is string key ? new DagEventData("task_failed", key) : new DagEventData()));
        }
    }

    private static DispatchItem? PromoteIfReady(WriteContext ctx, Guid taskId)
    {
        var task = LoadTask(ctx, null, taskId);
        if (task is null || task.Status != TaskState.Pending)
        {
            return null;
        }
        var outputs = new Dictionary<string, string?>(StringComparer.Ordinal);
        using (var reader = ctx.Query("""
            SELECT d.key, d.status, d.output FROM task_edges e JOIN tasks d ON d.id = e.from_id WHERE e.to_id = $id
            """, ("$id", taskId.ToString())))
        {
            while (reader.Read())
            {
                if (reader.GetString(1) != "succeeded")
                {
                    return null;
                }
                outputs[reader.GetString(0)] = Rows.StringOrNull(reader, 2);
            }
        }
        var instruction = InstructionTemplate.Render(task.Instruction, key => outputs.GetValueOrDefault(key));
        ctx.Execute("UPDATE tasks SET status = 'queued', instruction = $instruction, version = version + 1 WHERE id = $id",
            ("$id", taskId.ToString()), ("$instruction", instruction));
        ctx.Append(task.TenantId, EventTypes.Task, task.Id, task.Version + 1, EventTypes.TaskQueued,
            new TaskQueuedData(instruction), CoreJsonContext.Default.TaskQueuedData, task.DagId);
        return new DispatchItem(task.Id, task.Priority, 0, DispatchItem.Lane(task.TenantId, task.Agent));
    }

    /// <summary>Breadth-first, iteratively: marks every pending descendant skipped; returns how many.</summary>
    private static int SkipDescendants(WriteContext ctx, Guid root, TaskError error)
    {
        var skipped = 0;
        var frontier = new Queue<Guid>();
        frontier.Enqueue(root);
        while (frontier.TryDequeue(out var current))
        {
            foreach (var dependent in Dependents(ctx, current))
            {
                var task = LoadTask(ctx, null, dependent);
                if (task is { Status: TaskState.Pending })
                {
                    End(ctx, task, TaskState.Skipped, null, error, UsageDelta.None);
                    skipped++;
                    frontier.Enqueue(dependent);
                }
            }
        }
        return skipped;
    }

    private static List<Guid> Dependents(WriteContext ctx, Guid taskId)
    {
        var ids = new List<Guid>();
        using var reader = ctx.Query("SELECT to_id FROM task_edges WHERE from_id = $id", ("$id", taskId.ToString()));
        while (reader.Read())
        {
            ids.Add(Guid.Parse(reader.GetString(0)));
        }
        return ids;
    }

    /// <summary>Moves a task to a terminal state and appends the matching event.</summary>
    private static void RecordUsage(WriteContext ctx, TaskRecord task, AttemptResult result)
    {
        foreach (var line in result.UsageLines())
        {
            ctx.Execute("""
                INSERT INTO llm_usage (tenant_id, task_id, dag_id, agent, attempt, provider, model, input_tokens, output_tokens, cost_nanousd, api_calls,
                    created_at, cascade_step, cascade_outcome, cascade_reason, top_cost_nanousd)
                VALUES ($tenant, $task, $dag, $agent, $attempt, $provider, $model, $in, $out, $cost, $calls, $now, $step, $outcome, $reason, $top)
                """,
                ("$tenant", task.TenantId), ("$task", task.Id.ToString()), ("$dag", task.DagId?.ToString()), ("$agent", task.Agent),
                ("$attempt", result.Attempt), ("$provider", line.Provider), ("$model", line.Model), ("$in", line.InputTokens),
                ("$out", line.OutputTokens), ("$cost", StoreValues.ToNanos(line.CostUsd)), ("$calls", line.ApiCalls), ("$now", ctx.Now),
                ("$step", line.Cascade?.Step), ("$outcome", line.Cascade?.Outcome), ("$reason", line.Cascade?.Reason),
                ("$top", line.Cascade?.TopModelCostUsd is { } top ? StoreValues.ToNanos(top) : null));
        }
    }

    private static void End(WriteContext ctx, TaskRecord task, TaskState state, string? output, TaskError? error, UsageDelta usage,
        IReadOnlyList<CascadeStep>? cascade = null)
    {
        if (task.Status == TaskState.AwaitingApproval)
        {
            CancelPendingApprovals(ctx, task);
        }
        ctx.Execute("""
            UPDATE tasks SET status = $status, output = $output, error_code = $code, error_message = $message,
                input_tokens = input_tokens + $in, output_tokens = output_tokens + $out,
                cost_nanousd = cost_nanousd + $cost, api_calls = api_calls + $calls,
                finished_at = $at, run_at = NULL, version = version + 1
            WHERE id = $id
            """,
            ("$id", task.Id.ToString()), ("$status", state.Name()), ("$output", output), ("$code", error?.Code), ("$message", error?.Message),
            ("$in", usage.InputTokens), ("$out", usage.OutputTokens), ("$cost", StoreValues.ToNanos(usage.CostUsd)), ("$calls", usage.ApiCalls),
            ("$at", ctx.Now));
        var version = task.Version + 1;
        if (state == TaskState.Succeeded)
        {
            ctx.Append(task.TenantId, EventTypes.Task, task.Id, version, EventTypes.TaskSucceeded,
                new TaskSucceededData(task.Attempt, output ?? "", usage, cascade), CoreJsonContext.Default.TaskSucceededData, task.DagId);
            return;
        }
        var type = state switch
        {
            TaskState.Failed => EventTypes.TaskFailed,
            TaskState.Cancelled => EventTypes.TaskCancelled,
            _ => EventTypes.TaskSkipped,
        };
        ctx.Append(task.TenantId, EventTypes.Task, task.Id, version, type, new TaskEndedData(task.Attempt, error!, usage),
            CoreJsonContext.Default.TaskEndedData, task.DagId);
    }

    private static int Bump(WriteContext ctx, TaskRecord task, UsageDelta usage)
    {
        ctx.Execute("""
            UPDATE tasks SET input_tokens = input_tokens + $in, output_tokens = output_tokens + $out,
                cost_nanousd = cost_nanousd + $cost, api_calls = api_calls + $calls, version = version + 1
            WHERE id = $id
            """,
            ("$id", task.Id.ToString()), ("$in", usage.InputTokens), ("$out", usage.OutputTokens), ("$cost", StoreValues.ToNanos(usage.CostUsd)),
            ("$calls", usage.ApiCalls));
        return task.Version + 1;
    }

    private static void FinishDag(WriteContext ctx, DagRecord dag, DagState state, int moreDone, DagEventData data)
    {
        ctx.Execute("""
            UPDATE dags SET status = $status, finished_at = $at, tasks_done = tasks_done + $more, version = version + 1 WHERE id = $id
            """, ("$id", dag.Id.ToString()), ("$status", state.Name()), ("$at", ctx.Now), ("$more", moreDone));
        var type = state switch
        {
            DagState.Succeeded => EventTypes.DagSucceeded,
            DagState.Cancelled => EventTypes.DagCancelled,
            _ => EventTypes.DagFailed,
        };
        ctx.Append(dag.TenantId, EventTypes.Dag, dag.Id, dag.Version + 1, type, data, CoreJsonContext.Default.DagEventData, dag.Id);
    }

    private static TaskRecord? LoadTask(WriteContext ctx, string? tenantId, Guid taskId)
    {
        using var reader = ctx.Query($"SELECT {Rows.TaskColumns} FROM tasks WHERE id = $id", ("$id", taskId.ToString()));
        if (!reader.Read())
        {
            return null;
        }
        var task = Rows.ReadTask(reader);
        return tenantId is null || task.TenantId == tenantId ? task : null;
    }

    private static List<TaskRecord> LoadTasks(WriteContext ctx, string where, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var tasks = new List<TaskRecord>();
        using var reader = ctx.Query($"SELECT {Rows.TaskColumns} FROM tasks {where}", parameters);
        while (reader.Read())
        {
            tasks.Add(Rows.ReadTask(reader));
        }
        return tasks;
    }

    private static DagRecord? LoadDag(WriteContext ctx, string tenantId, Guid dagId)
    {
        using var reader = ctx.Query($"SELECT {Rows.DagColumns} FROM dags WHERE id = $id AND tenant_id = $tenant",
            ("$id", dagId.ToString()), ("$tenant", tenantId));
        return reader.Read() ? Rows.ReadDag(reader) : null;
    }
}
