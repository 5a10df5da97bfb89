using System.Buffers.Text;
using System.Globalization;
using System.Text;
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

    /// <inheritdoc />
    public Task<IReadOnlyList<DagTaskRow>> GetDagTasksAsync(string tenantId, Guid dagId, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<DagTaskRow>>(async c =>
        {
            // One statement, so the nodes and their dependency keys come from the same snapshot; nodes in plan order. The
            // tenant is checked on the DAG's row (its tasks are its tenant's): with "t.tenant_id = @tenant" a planner
            // without statistics yet (a young table) ANDed in a bitmap of every task the tenant ever submitted.
            await using var command = Command(c, """
                SELECT t.key, t.id, t.status,
                    COALESCE((SELECT array_agg(f.key ORDER BY f.dag_position) FROM task_edges e JOIN tasks f ON f.id = e.from_id
                              WHERE e.to_id = t.id), '{}')
                FROM tasks t WHERE t.dag_id = @dag AND EXISTS (SELECT 1 FROM dags WHERE id = @dag AND tenant_id = @tenant)
                ORDER BY t.dag_position
                """, ("dag", dagId), ("tenant", tenantId));
            return await ReadAllAsync(command, r => new DagTaskRow(r.GetString(0), r.GetGuid(1), StoreValues.ParseTaskState(r.GetString(2)),
                r.GetFieldValue<string[]>(3)), cancellationToken);
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
