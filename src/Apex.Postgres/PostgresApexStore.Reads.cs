using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Apex.Contracts.Tasks;
using Apex.Core.Dags;
using Apex.Core.Errors;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Npgsql;

namespace Apex.Postgres;

public sealed partial class PostgresApexStore
{
    /// <inheritdoc />
    public Task<TaskRecord?> GetTaskAsync(string tenantId, Guid taskId, CancellationToken cancellationToken = default) =>
        ReadAsync(async c =>
        {
            await using var command = Command(c, $"SELECT {Rows.TaskColumns} FROM tasks WHERE id = @id AND tenant_id = @tenant",
                ("id", taskId), ("tenant", tenantId));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? Rows.ReadTask(reader) : null;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<RecordPage<TaskRecord>> ListTasksAsync(TaskQuery query, CancellationToken cancellationToken = default)
    {
        var cursor = PageCursor.Decode(query.Cursor);
        return ReadAsync(async c =>
        {
            var sql = new StringBuilder($"SELECT {Rows.TaskColumns} FROM tasks WHERE tenant_id = @tenant");
            var parameters = new List<(string, object?)> { ("tenant", query.TenantId) };
            if (query.Status is { } status)
            {
                sql.Append(" AND status = @status");
                parameters.Add(("status", status.Name()));
            }
            if (query.DagId is { } dagId)
            {
                sql.Append(" AND dag_id = @dag");
                parameters.Add(("dag", dagId));
            }
            if (query.Agent is { } agent)
            {
                sql.Append(" AND agent = @agent");
                parameters.Add(("agent", agent));
            }
            return await NewestFirstAsync(c, sql, parameters, cursor, query.Limit, Rows.ReadTask, r => (r.CreatedAt, r.Id), cancellationToken);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredEvent>> GetEventsAsync(string tenantId, string aggregateType, Guid aggregateId, long afterSeq, int limit,
        CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<StoredEvent>>(async c =>
        {
            await using var command = Command(c, $"""
                SELECT {Rows.EventColumns} FROM events
                WHERE aggregate_type = @type AND aggregate_id = @id AND tenant_id = @tenant AND seq > @after
                ORDER BY version LIMIT @limit
                """, ("type", aggregateType), ("id", aggregateId), ("tenant", tenantId), ("after", afterSeq), ("limit", limit));
            return await ReadAllAsync(command, Rows.ReadEvent, cancellationToken);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredEvent>> GetEventLogAsync(string tenantId, long afterSeq, int limit, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<StoredEvent>>(async c =>
        {
            await using var command = Command(c, $"""
                SELECT {Rows.EventColumns} FROM events WHERE seq > @after AND tenant_id = @tenant ORDER BY seq LIMIT @limit
                """, ("tenant", tenantId), ("after", afterSeq), ("limit", limit));
            return await ReadAllAsync(command, Rows.ReadEvent, cancellationToken);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<long> GetHeadSeqAsync(CancellationToken cancellationToken = default) =>
        ReadAsync(async c =>
        {
            await using var command = Command(c, "SELECT COALESCE(MAX(seq), 0) FROM events");
            return (long)(await command.ExecuteScalarAsync(cancellationToken) ?? 0L);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredEvent>> GetDagStreamAsync(string tenantId, Guid dagId, long afterSeq, int limit, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<StoredEvent>>(async c =>
        {
            await using var command = Command(c, $"""
                SELECT {Rows.EventColumns} FROM events
                WHERE dag_id = @dag AND tenant_id = @tenant AND seq > @after
                ORDER BY seq LIMIT @limit
                """, ("dag", dagId), ("tenant", tenantId), ("after", afterSeq), ("limit", limit));
            return await ReadAllAsync(command, Rows.ReadEvent, cancellationToken);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<DagRecord?> GetDagAsync(string tenantId, Guid dagId, CancellationToken cancellationToken = default) =>
        ReadAsync(async c =>
        {
            await using var command = Command(c, $"SELECT {Rows.DagColumns} FROM dags WHERE id = @id AND tenant_id = @tenant",
                ("id", dagId), ("tenant", tenantId));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? Rows.ReadDag(reader) : null;
        }, cancellationToken);

    /// <summary>
    /// A DAG's tasks in plan order; the tenant is checked on the DAG's row (its tasks are its tenant's): with
    /// "tenant_id = @tenant" on tasks, a planner without statistics yet (a young table) ANDed in a bitmap of every task
    /// the tenant ever submitted.
    /// </summary>
    internal const string DagTasksSql = """
        SELECT key, id, status FROM tasks
        WHERE dag_id = @dag AND EXISTS (SELECT 1 FROM dags WHERE id = @dag AND tenant_id = @tenant)
        ORDER BY dag_position
        """;

    /// <summary>
    /// A DAG's edges, matched to task keys by the caller. No join: each table is read by its DAG index alone, so no plan,
    /// generic or taken while the table was small, can hash-join a DAG against a scan of every task (measured: 30-60 ms a
    /// read under load).
    /// </summary>
    internal const string DagEdgesSql = "SELECT from_id, to_id FROM task_edges WHERE dag_id = @dag";

    /// <inheritdoc />
    public Task<IReadOnlyList<DagTaskRow>> GetDagTasksAsync(string tenantId, Guid dagId, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<DagTaskRow>>(async c =>
        {
            // One round trip. The edges and keys never change once the DAG's single insert committed, so the second
            // statement's snapshot sees all the edges of the tasks the first one returned.
            await using var batch = new NpgsqlBatch(c);
            var tasks = new NpgsqlBatchCommand(DagTasksSql);
            WriteContext.Bind(tasks.Parameters, [("dag", dagId), ("tenant", tenantId)]);
            var edges = new NpgsqlBatchCommand(DagEdgesSql);
            WriteContext.Bind(edges.Parameters, [("dag", dagId)]);
            batch.BatchCommands.Add(tasks);
            batch.BatchCommands.Add(edges);
            var nodes = new List<(string Key, Guid Id, TaskState Status)>();
            var dependencies = new Dictionary<Guid, List<Guid>>();
            await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    nodes.Add((reader.GetString(0), reader.GetGuid(1), StoreValues.ParseTaskState(reader.GetString(2))));
                }
                await reader.NextResultAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var to = reader.GetGuid(1);
                    if (!dependencies.TryGetValue(to, out var from))
                    {
                        dependencies[to] = from = [];
                    }
                    from.Add(reader.GetGuid(0));
                }
            }
            // Dependency keys in plan order, as the nodes are.
            var position = new Dictionary<Guid, int>(nodes.Count);
            for (var i = 0; i < nodes.Count; i++)
            {
                position[nodes[i].Id] = i;
            }
            return nodes.Select(n => new DagTaskRow(n.Key, n.Id, n.Status, dependencies.TryGetValue(n.Id, out var from)
                ? [.. from.Where(position.ContainsKey).OrderBy(f => position[f]).Select(f => nodes[position[f]].Key)]
                : [])).ToList();
        }, cancellationToken);

    /// <inheritdoc />
    public Task<AgentUsage> GetDagUsageAsync(string tenantId, Guid dagId, CancellationToken cancellationToken = default) =>
        ReadAsync(c => UsageAsync(c, "dag_id = @value", tenantId, dagId, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<RecordPage<DagRecord>> ListDagsAsync(DagQuery query, CancellationToken cancellationToken = default)
    {
        var cursor = PageCursor.Decode(query.Cursor);
        return ReadAsync(async c =>
        {
            var sql = new StringBuilder($"SELECT {Rows.DagColumns} FROM dags WHERE tenant_id = @tenant");
            var parameters = new List<(string, object?)> { ("tenant", query.TenantId) };
            if (query.Status is { } status)
            {
                sql.Append(" AND status = @status");
                parameters.Add(("status", status.Name()));
            }
            return await NewestFirstAsync(c, sql, parameters, cursor, query.Limit, Rows.ReadDag, r => (r.CreatedAt, r.Id), cancellationToken);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<AgentUsage> GetAgentUsageAsync(string tenantId, string agentName, CancellationToken cancellationToken = default) =>
        ReadAsync(c => UsageAsync(c, "agent = @value", tenantId, agentName, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<UsageGroup>> GetUsageAsync(string tenantId, UsageGrouping groupBy, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<UsageGroup>>(async c =>
        {
            var column = groupBy switch
            {
                UsageGrouping.Model => "model",
                UsageGrouping.Agent => "agent",
                _ => "dag_id::text",
            };
            await using var command = new NpgsqlCommand($"""
                SELECT {column}, {UsageQuery.Aggregates}
                FROM llm_usage WHERE tenant_id = @tenant AND created_at >= @from AND created_at < @to
                GROUP BY 1 ORDER BY 4 DESC, 1
                """, c);
            command.Parameters.AddWithValue("tenant", tenantId);
            command.Parameters.AddWithValue("from", from);
            command.Parameters.AddWithValue("to", to);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var groups = new List<UsageGroup>();
            while (await reader.ReadAsync(cancellationToken))
            {
                groups.Add(UsageQuery.Read(reader));
            }
            return groups;
        }, cancellationToken);

    private static async Task<AgentUsage> UsageAsync(NpgsqlConnection c, string filter, string tenantId, object value, CancellationToken cancellationToken)
    {
        await using var command = Command(c, $"""
            SELECT status, count(*), sum(input_tokens)::bigint, sum(output_tokens)::bigint, sum(cost_nanousd)::bigint, sum(api_calls)::bigint
            FROM tasks WHERE tenant_id = @tenant AND {filter} GROUP BY status
            """, ("tenant", tenantId), ("value", value));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        long input = 0, output = 0, nanos = 0, calls = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
            input += reader.GetInt64(2);
            output += reader.GetInt64(3);
            nanos += reader.GetInt64(4);
            calls += reader.GetInt64(5);
        }
        return new AgentUsage(counts, input, output, StoreValues.FromNanos(nanos), calls);
    }

    private static async Task<List<T>> ReadAllAsync<T>(NpgsqlCommand command, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }
        return rows;
    }

    /// <summary>
    /// Finishes a newest-first list query (<paramref name="sql"/> ends inside its WHERE clause): the keyset condition of
    /// <paramref name="after"/>, the order, one row more than <paramref name="limit"/> to know whether a next page exists.
    /// </summary>
    private static async Task<RecordPage<T>> NewestFirstAsync<T>(NpgsqlConnection c, StringBuilder sql, List<(string, object?)> parameters,
        (long CreatedAtMs, Guid Id)? after, int limit, Func<NpgsqlDataReader, T> read, Func<T, (DateTimeOffset CreatedAt, Guid Id)> keyOf,
        CancellationToken cancellationToken)
    {
        if (after is { } cursor)
        {
            sql.Append(" AND (created_at < @c_at OR (created_at = @c_at AND id < @c_id))");
            parameters.Add(("c_at", Rows.Time(cursor.CreatedAtMs)));
            parameters.Add(("c_id", cursor.Id));
        }
        sql.Append(" ORDER BY created_at DESC, id DESC LIMIT @limit");
        parameters.Add(("limit", limit + 1));
        await using var command = Command(c, sql.ToString(), [.. parameters]);
        var items = await ReadAllAsync(command, read, cancellationToken);
        return PageCursor.Page(items, limit, item =>
        {
            var (at, id) = keyOf(item);
            return (at.ToUnixTimeMilliseconds(), id);
        });
    }
}
