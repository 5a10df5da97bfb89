using System.Globalization;
using System.Text.Json;
using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core.Errors;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;

namespace Apex.Sqlite;

public sealed partial class SqliteApexStore
{
    private const string InsertTaskSql = """
        INSERT INTO tasks (id, tenant_id, dag_id, key, name, instruction, agent, status, priority, attempt, max_attempts,
            token_limit, cost_limit, time_limit_seconds, api_call_limit, metadata, created_at, version, output_schema,
            traceparent, tracestate, started_at, worker)
        VALUES ($id, $tenant, $dag, $key, $name, $instruction, $agent, $status, $priority, $attempt, $max_attempts,
            $token_limit, $cost_limit, $time_limit, $api_call_limit, $metadata, $at, $version, $output_schema,
            $traceparent, $tracestate, $started_at, $worker)
        """;

    /// <inheritdoc />
    public Task<SubmitOutcome> SubmitTasksAsync(IReadOnlyList<NewTask> tasks, IdempotencyKey? idempotencyKey, CancellationToken cancellationToken = default) =>
        WriteAsync(ctx =>
        {
            var tenant = tasks[0].TenantId;
            if (FindIdempotent(ctx, tenant, idempotencyKey, "tasks") is { } replay)
            {
                var ids = JsonSerializer.Deserialize(replay, SqliteJsonContext.Default.GuidArray) ?? [];
                return new SubmitOutcome(ids, Created: false, Dispatch: [], Tasks: []);
            }
            var ready = new DispatchItem[tasks.Count];
            var records = new TaskRecord[tasks.Count];
            for (var i = 0; i < tasks.Count; i++)
            {
                var task = tasks[i];
                ready[i] = new DispatchItem(task.Id, task.Priority, 0, DispatchItem.Lane(task.TenantId, task.Agent));
                records[i] = task.ToQueuedRecord(ctx.NowOffset);
            }
            var dispatch = EagerStartPlan.Reserve(ctx.Starts, ready, records, ctx.NowOffset, ctx.Started);
            for (var i = 0; i < tasks.Count; i++)
            {
                InsertTask(ctx, tasks[i], dagId: null, key: null, TaskState.Queued, dependsOn: null,
                    startedBy: records[i].Status == TaskState.Running ? ctx.Starts!.Worker : null);
            }
            var created = tasks.Select(t => t.Id).ToArray();
            SaveIdempotent(ctx, tenant, idempotencyKey, "tasks", JsonSerializer.Serialize(created, SqliteJsonContext.Default.GuidArray));
            return new SubmitOutcome(created, Created: true, dispatch, records);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<DagSubmitOutcome> SubmitDagAsync(NewDag dag, IdempotencyKey? idempotencyKey, CancellationToken cancellationToken = default) =>
        WriteAsync(ctx =>
        {
            if (FindIdempotent(ctx, dag.TenantId, idempotencyKey, "dag") is { } replay)
            {
                return new DagSubmitOutcome(Guid.Parse(replay), Created: false, Dispatch: []);
            }
            var plan = dag.Plan;
            ctx.Execute($"""
                INSERT INTO dags ({Rows.DagColumns})
                VALUES ($id, $tenant, $name, 'pending', $policy, $count, 0, $limits, $metadata, $at, NULL, 1)
                """,
                ("$id", dag.Id.ToString()), ("$tenant", dag.TenantId), ("$name", plan.Name), ("$policy", plan.FailurePolicy.Name()),
                ("$count", plan.Nodes.Count),
                ("$limits", plan.Limits is null ? null : JsonSerializer.Serialize(plan.Limits, CoreJsonContext.Default.TaskLimits)),
                ("$metadata", Rows.Json(plan.Metadata)), ("$at", ctx.Now));
            ctx.Append(dag.TenantId, EventTypes.Dag, dag.Id, 1, EventTypes.DagCreated, new DagEventData(), CoreJsonContext.Default.DagEventData, dag.Id);

            var dispatch = new List<DispatchItem>();
            foreach (var node in plan.Nodes)
            {
                var task = dag.Tasks[node.Index];
                var status = node.Dependencies.Count == 0 ? TaskState.Queued : TaskState.Pending;
                var dependsOn = node.Dependencies.Select(d => plan.Nodes[d].Key).ToArray();
                InsertTask(ctx, task, dag.Id, node.Key, status, dependsOn);
                foreach (var dependency in node.Dependencies)
                {
                    ctx.Execute("INSERT INTO task_edges (tenant_id, dag_id, from_id, to_id) VALUES ($tenant, $dag, $from, $to)",
                        ("$tenant", dag.TenantId), ("$dag", dag.Id.ToString()), ("$from", dag.Tasks[dependency].Id.ToString()), ("$to", task.Id.ToString()));
                }
                if (status == TaskState.Queued)
                {
                    dispatch.Add(new DispatchItem(task.Id, task.Priority, 0, DispatchItem.Lane(task.TenantId, task.Agent)));
                }
            }
            SaveIdempotent(ctx, dag.TenantId, idempotencyKey, "dag", dag.Id.ToString());
            return new DagSubmitOutcome(dag.Id, Created: true, StartEagerly(ctx, dispatch));
        }, cancellationToken);

    /// <summary>
    /// Starts what it can of a new DAG's ready tasks on idle workers of this process (<see cref="TryStartEagerly"/>),
    /// highest priority first, and returns the rest for the engine to dispatch.
    /// </summary>
    private static IReadOnlyList<DispatchItem> StartEagerly(WriteContext ctx, List<DispatchItem> ready)
    {
        if (ctx.Starts is null)
        {
            return ready;
        }
        List<DispatchItem>? rest = null;
        foreach (var i in EagerStartPlan.PriorityOrder(ready))
        {
            if (rest is null && TryStartEagerly(ctx, ready[i]))
            {
                continue;
            }
            (rest ??= []).Add(ready[i]); // once one waits, the rest wait behind it: the queue keeps their order
        }
        return rest ?? [];
    }

    /// <summary>
    /// Inserts a new task in <paramref name="status"/> with its <c>task_created</c>; with <paramref name="startedBy"/>, it is
    /// inserted already claimed by that worker (a queued standalone task whose reserved worker starts it,
    /// <see cref="EagerStartPlan.Reserve"/>), and its <c>task_started</c> follows: one row for both events.
    /// </summary>
    private static void InsertTask(WriteContext ctx, NewTask task, Guid? dagId, string? key, TaskState status, IReadOnlyList<string>? dependsOn,
        string? startedBy = null)
    {
        var started = startedBy is not null;
        ctx.Execute(InsertTaskSql,
            ("$id", task.Id.ToString()), ("$tenant", task.TenantId), ("$dag", dagId?.ToString()), ("$key", key),
            ("$name", task.Name), ("$instruction", task.Instruction), ("$agent", task.Agent),
            ("$status", started ? TaskState.Running.Name() : status.Name()), ("$priority", task.Priority), ("$attempt", started ? 1 : 0),
            ("$max_attempts", task.MaxAttempts),
            ("$token_limit", task.Limits.TokenLimit), ("$cost_limit", task.Limits.CostLimit?.ToString(CultureInfo.InvariantCulture)),
            ("$time_limit", task.Limits.TimeLimitSeconds), ("$api_call_limit", task.Limits.ApiCallLimit),
            ("$metadata", Rows.Json(task.Metadata)), ("$at", ctx.Now), ("$version", started ? 2 : 1), ("$output_schema", task.OutputSchema),
            ("$traceparent", task.TraceParent), ("$tracestate", task.TraceState), ("$started_at", started ? ctx.Now : null), ("$worker", startedBy));
        ctx.Append(task.TenantId, EventTypes.Task, task.Id, 1, EventTypes.TaskCreated, TaskCreatedData.Of(task, dagId, key, status, dependsOn), CoreJsonContext.Default.TaskCreatedData, dagId);
        if (startedBy is not null)
        {
            ctx.Append(task.TenantId, EventTypes.Task, task.Id, 2, EventTypes.TaskStarted, new TaskStartedData(1, startedBy),
                CoreJsonContext.Default.TaskStartedData, dagId);
        }
    }

    private static string? FindIdempotent(WriteContext ctx, string tenant, IdempotencyKey? key, string kind)
    {
        if (key is null)
        {
            return null;
        }
        using var reader = ctx.Query("SELECT kind, request_hash, result FROM idempotency_keys WHERE tenant_id = $tenant AND key = $key",
            ("$tenant", tenant), ("$key", key.Key));
        if (!reader.Read())
        {
            return null;
        }
        if (reader.GetString(0) != kind || reader.GetString(1) != key.RequestHash)
        {
            throw new ApexValidationException("idempotency_key_reused",
                "This Idempotency-Key was already used with a different request body; use a new key for a different request.");
        }
        return reader.GetString(2);
    }

    private static void SaveIdempotent(WriteContext ctx, string tenant, IdempotencyKey? key, string kind, string result)
    {
        if (key is null)
        {
            return;
        }
        ctx.Execute("""
            INSERT INTO idempotency_keys (tenant_id, key, kind, request_hash, result, created_at)
            VALUES ($tenant, $key, $kind, $hash, $result, $at)
            """,
            ("$tenant", tenant), ("$key", key.Key), ("$kind", kind), ("$hash", key.RequestHash), ("$result", result), ("$at", ctx.Now));
    }
}
