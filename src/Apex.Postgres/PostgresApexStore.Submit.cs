using System.Text.Json;
using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core.Errors;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;

namespace Apex.Postgres;

public sealed partial class PostgresApexStore
{
    /// <summary>A new DAG: pending at version 1, or running at version 2 when its roots started in the same commit.</summary>
    private const string InsertDagSql = """
        INSERT INTO dags (id, tenant_id, name, status, failure_policy, task_count, tasks_done, limits, metadata, created_at, finished_at, version)
        VALUES (@id, @tenant, @name, @status, @policy, @count, 0, @limits::jsonb, @metadata::jsonb, @at, NULL, @version)
        """;

    private const string InsertEdgesSql = """
        INSERT INTO task_edges (tenant_id, dag_id, from_id, to_id)
        SELECT @tenant, @dag, u.from_id, u.to_id FROM unnest(@from::uuid[], @to::uuid[]) AS u (from_id, to_id)
        """;

    /// <inheritdoc />
    public Task<SubmitOutcome> SubmitTasksAsync(IReadOnlyList<NewTask> tasks, IdempotencyKey? idempotencyKey, CancellationToken cancellationToken = default) =>
        WriteAsync(WriteKey.None, async ctx =>
        {
            var tenant = tasks[0].TenantId;
            var created = tasks.Select(t => t.Id).ToArray();
            var result = JsonSerializer.Serialize(created, PostgresJsonContext.Default.GuidArray);
            if (await ClaimIdempotencyKeyAsync(ctx, tenant, idempotencyKey, "tasks", result) is { } replay)
            {
                var ids = JsonSerializer.Deserialize(replay, PostgresJsonContext.Default.GuidArray) ?? [];
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
            // Claimed in the insert for the dispatcher when it has room (eager start): one row version for both events.
            var dispatch = EagerStartPlan.Reserve(ctx.Starts, ready, records, ctx.NowOffset, ctx.Started);
            for (var i = 0; i < tasks.Count; i++)
            {
                var task = tasks[i];
                var startedBy = records[i].Status == TaskState.Running ? ctx.Starts!.Worker : null;
                ctx.DeferInsert(task, dagId: null, position: null, key: null, TaskState.Queued, startedBy);
                AppendCreated(ctx, task, dagId: null, key: null, TaskState.Queued, dependsOn: null);
                if (startedBy is not null)
                {
                    AppendStarted(ctx, task, dagId: null, startedBy);
                }
            }
            return new SubmitOutcome(created, Created: true, dispatch, records);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<DagSubmitOutcome> SubmitDagAsync(NewDag dag, IdempotencyKey? idempotencyKey, CancellationToken cancellationToken = default) =>
        WriteAsync(WriteKey.None, async ctx =>
        {
            if (await ClaimIdempotencyKeyAsync(ctx, dag.TenantId, idempotencyKey, "dag", dag.Id.ToString()) is { } replay)
            {
                return new DagSubmitOutcome(Guid.Parse(replay), Created: false, Dispatch: []);
            }
            var plan = dag.Plan;
            // The roots may start in this very commit (eager start), highest priority first; the DAG starts with them.
            var roots = plan.Nodes.Where(n => n.Dependencies.Count == 0).ToList();
            var ready = roots.Select(n => dag.Tasks[n.Index]).Select(t => new DispatchItem(t.Id, t.Priority, 0, DispatchItem.Lane(t.TenantId, t.Agent))).ToArray();
            var records = roots.Select(n => dag.Tasks[n.Index].ToQueuedRecord(ctx.NowOffset) with { DagId = dag.Id, Key = n.Key }).ToArray();
            var dispatch = EagerStartPlan.Reserve(ctx.Starts, ready, records, ctx.NowOffset, ctx.Started);
            var startedBy = dispatch.Count == ready.Length ? null : ctx.Starts!.Worker;
            var started = records.Where(r => r.Status == TaskState.Running).Select(r => r.Id).ToHashSet();
            ctx.Append(dag.TenantId, EventTypes.Dag, dag.Id, 1, EventTypes.DagCreated, new DagEventData(), CoreJsonContext.Default.DagEventData, dag.Id);

            var rows = new TaskInsertBuffer();
            var from = new List<Guid>(plan.EdgeCount);
            var to = new List<Guid>(plan.EdgeCount);
            foreach (var node in plan.Nodes)
            {
                var task = dag.Tasks[node.Index];
                var status = node.Dependencies.Count == 0 ? TaskState.Queued : TaskState.Pending;
                var starts = started.Contains(task.Id);
                rows.Add(task, dag.Id, node.Index, node.Key, status, starts ? startedBy : null);
                AppendCreated(ctx, task, dag.Id, node.Key, status, [.. node.Dependencies.Select(d => plan.Nodes[d].Key)]);
                if (starts)
                {
                    AppendStarted(ctx, task, dag.Id, startedBy!);
                }
                foreach (var dependency in node.Dependencies)
                {
                    from.Add(dag.Tasks[dependency].Id);
                    to.Add(task.Id);
                }
            }
            if (startedBy is not null)
            {
                ctx.Append(dag.TenantId, EventTypes.Dag, dag.Id, 2, EventTypes.DagStarted, new DagEventData(), CoreJsonContext.Default.DagEventData, dag.Id);
            }
            await ctx.ExecuteBatchAsync(
                (InsertDagSql, [
                    ("id", dag.Id), ("tenant", dag.TenantId), ("name", plan.Name), ("policy", plan.FailurePolicy.Name()),
                    ("count", plan.Nodes.Count),
                    ("limits", plan.Limits is null ? null : JsonSerializer.Serialize(plan.Limits, CoreJsonContext.Default.TaskLimits)),
                    ("metadata", Rows.Json(plan.Metadata)), ("at", ctx.NowOffset),
                    ("status", (startedBy is null ? DagState.Pending : DagState.Running).Name()), ("version", startedBy is null ? 1 : 2)]),
                (TaskInsertBuffer.Sql, rows.Parameters(ctx.NowOffset)),
                (InsertEdgesSql, [("tenant", dag.TenantId), ("dag", dag.Id), ("from", from.ToArray()), ("to", to.ToArray())]));
            return new DagSubmitOutcome(dag.Id, Created: true, dispatch);
        }, cancellationToken);

    private static void AppendCreated(WriteContext ctx, NewTask task, Guid? dagId, string? key, TaskState status, IReadOnlyList<string>? dependsOn) =>
        ctx.Append(task.TenantId, EventTypes.Task, task.Id, 1, EventTypes.TaskCreated, TaskCreatedData.Of(task, dagId, key, status, dependsOn), CoreJsonContext.Default.TaskCreatedData, dagId);

    /// <summary>The <c>task_started</c> of a task inserted already claimed by <paramref name="worker"/> (attempt 1, version 2).</summary>
    private static void AppendStarted(WriteContext ctx, NewTask task, Guid? dagId, string worker) =>
        ctx.Append(task.TenantId, EventTypes.Task, task.Id, 2, EventTypes.TaskStarted, new TaskStartedData(1, worker), CoreJsonContext.Default.TaskStartedData, dagId);

    /// <summary>
    /// Records the key with this request's result, or, when the key exists, returns the earlier result (same request)
    /// or throws (different request). Null when the request is new and must be carried out. A concurrent request with
    /// the same key on another server waits for this transaction, then sees the key.
    /// </summary>
    private static async Task<string?> ClaimIdempotencyKeyAsync(WriteContext ctx, string tenant, IdempotencyKey? key, string kind, string result)
    {
        if (key is null)
        {
            return null;
        }
        var inserted = await ctx.ExecuteAsync("""
            INSERT INTO idempotency_keys (tenant_id, key, kind, request_hash, result, created_at)
            VALUES (@tenant, @key, @kind, @hash, @result, @at)
            ON CONFLICT (tenant_id, key) DO NOTHING
            """,
            ("tenant", tenant), ("key", key.Key), ("kind", kind), ("hash", key.RequestHash), ("result", result), ("at", ctx.NowOffset));
        if (inserted == 1)
        {
            return null;
        }
        var earlier = await ctx.ListAsync("SELECT kind, request_hash, result FROM idempotency_keys WHERE tenant_id = @tenant AND key = @key",
            r => (Kind: r.GetString(0), Hash: r.GetString(1), Result: r.GetString(2)), ("tenant", tenant), ("key", key.Key));
        if (earlier is not [var found])
        {
            // The conflicting request was rolled back after our insert gave way to it: the client may simply retry.
            throw new ApexUnavailableException("A concurrent request with the same Idempotency-Key did not complete; try again.");
        }
        if (found.Kind != kind || found.Hash != key.RequestHash)
        {
            throw new ApexValidationException("idempotency_key_reused",
                "This Idempotency-Key was already used with a different request body; use a new key for a different request.");
        }
        return found.Result;
    }
}
