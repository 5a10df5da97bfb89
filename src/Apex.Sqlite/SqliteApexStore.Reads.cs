using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Apex.Contracts.Tasks;
using Apex.Core.Agents;
using Apex.Core.Dags;
using Apex.Core.Errors;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Microsoft.Data.Sqlite;

namespace Apex.Sqlite;

public sealed partial class SqliteApexStore
{
    /// <inheritdoc />
    public Task<TaskRecord?> GetTaskAsync(string tenantId, Guid taskId, CancellationToken cancellationToken = default) =>
        ReadAsync(c =>
        {
            using var command = Command(c, $"SELECT {Rows.TaskColumns} FROM tasks WHERE id = $id AND tenant_id = $tenant",
                ("$id", taskId.ToString()), ("$tenant", tenantId));
            using var reader = command.ExecuteReader();
            return reader.Read() ? Rows.ReadTask(reader) : null;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<RecordPage<TaskRecord>> ListTasksAsync(TaskQuery query, CancellationToken cancellationToken = default) =>
        ReadAsync(c =>
        {
            var sql = new StringBuilder($"SELECT {Rows.TaskColumns} FROM tasks WHERE tenant_id = $tenant");
            var parameters = new List<(string, object?)> { ("$tenant", query.TenantId) };
            if (query.Status is { } status)
            {
                sql.Append(" AND status = $status");
                parameters.Add(("$status", status.Name()));
            }
            if (query.DagId is { } dagId)
            {
                sql.Append(" AND dag_id = $dag");
                parameters.Add(("$dag", dagId.ToString()));
            }
            if (query.Agent is { } agent)
            {
                sql.Append(" AND agent = $agent");
                parameters.Add(("$agent", agent));
            }
            return NewestFirst(c, sql, parameters, query.Cursor, query.Limit, Rows.ReadTask, r => (r.CreatedAt, r.Id));
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredEvent>> GetEventsAsync(string tenantId, string aggregateType, Guid aggregateId, long afterSeq, int limit,
        CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<StoredEvent>>(c =>
        {
            using var command = Command(c, $"""
                SELECT {Rows.EventColumns} FROM events
                WHERE aggregate_type = $type AND aggregate_id = $id AND tenant_id = $tenant AND seq > $after
                ORDER BY version LIMIT $limit
                """, ("$type", aggregateType), ("$id", aggregateId.ToString()), ("$tenant", tenantId), ("$after", afterSeq), ("$limit", limit));
            return ReadEvents(command);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredEvent>> GetEventLogAsync(string tenantId, long afterSeq, int limit, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<StoredEvent>>(c =>
        {
            using var command = Command(c, $"""
                SELECT {Rows.EventColumns} FROM events WHERE seq > $after AND tenant_id = $tenant ORDER BY seq LIMIT $limit
                """, ("$tenant", tenantId), ("$after", afterSeq), ("$limit", limit));
            return ReadEvents(command);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<long> GetHeadSeqAsync(CancellationToken cancellationToken = default) =>
        ReadAsync(c =>
        {
            using var command = Command(c, "SELECT COALESCE(MAX(seq), 0) FROM events");
            return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredEvent>> GetDagStreamAsync(string tenantId, Guid dagId, long afterSeq, int limit, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<StoredEvent>>(c =>
        {
            using var command = Command(c, $"""
                SELECT {Rows.EventColumns} FROM events
                WHERE dag_id = $dag AND tenant_id = $tenant AND seq > $after
                ORDER BY seq LIMIT $limit
                """, ("$dag", dagId.ToString()), ("$tenant", tenantId), ("$after", afterSeq), ("$limit", limit));
            return ReadEvents(command);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<DagRecord?> GetDagAsync(string tenantId, Guid dagId, CancellationToken cancellationToken = default) =>
        ReadAsync(c =>
        {
            using var command = Command(c, $"SELECT {Rows.DagColumns} FROM dags WHERE id = $id AND tenant_id = $tenant",
                ("$id", dagId.ToString()), ("$tenant", tenantId));
            using var reader = command.ExecuteReader();
            return reader.Read() ? Rows.ReadDag(reader) : null;
        }, cancellationToken);

    /// <summary>A DAG's edges, by the <c>idx_task_edges_dag</c> index (a scan of every edge of every DAG before it).</summary>
    internal const string DagEdgesSql = "SELECT e.to_id, f.key FROM task_edges e JOIN tasks f ON f.id = e.from_id WHERE e.dag_id = $dag";

    /// <summary>
    /// A DAG's tasks. <c>+tenant_id</c> keeps the tenant condition off the indexes: without statistics SQLite otherwise
    /// walks the tenant's whole <c>(tenant_id, created_at)</c> index, every task the tenant ever submitted.
    /// </summary>
    internal const string DagTasksSql = "SELECT key, id, status FROM tasks WHERE dag_id = $dag AND +tenant_id = $tenant ORDER BY rowid";

    /// <inheritdoc />
    public Task<IReadOnlyList<DagTaskRow>> GetDagTasksAsync(string tenantId, Guid dagId, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<DagTaskRow>>(c =>
        {
            var dependsOn = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            using (var edges = Command(c, DagEdgesSql, ("$dag", dagId.ToString())))
            using (var reader = edges.ExecuteReader())
            {
                while (reader.Read())
                {
                    var to = reader.GetString(0);
                    if (!dependsOn.TryGetValue(to, out var list))
                    {
                        dependsOn[to] = list = [];
                    }
                    list.Add(reader.GetString(1));
                }
            }
            using var command = Command(c, DagTasksSql,
                ("$dag", dagId.ToString()), ("$tenant", tenantId));
            using var rows = command.ExecuteReader();
            var result = new List<DagTaskRow>();
            while (rows.Read())
            {
                var id = rows.GetString(1);
                result.Add(new DagTaskRow(rows.GetString(0), Guid.Parse(id), StoreValues.ParseTaskState(rows.GetString(2)),
                    dependsOn.TryGetValue(id, out var deps) ? deps : []));
            }
            return result;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<AgentUsage> GetDagUsageAsync(string tenantId, Guid dagId, CancellationToken cancellationToken = default) =>
        ReadAsync(c => Usage(c, "dag_id = $value", tenantId, dagId.ToString()), cancellationToken);

    /// <inheritdoc />
    public Task<RecordPage<DagRecord>> ListDagsAsync(DagQuery query, CancellationToken cancellationToken = default) =>
        ReadAsync(c =>
        {
            var sql = new StringBuilder($"SELECT {Rows.DagColumns} FROM dags WHERE tenant_id = $tenant");
            var parameters = new List<(string, object?)> { ("$tenant", query.TenantId) };
            if (query.Status is { } status)
            {
                sql.Append(" AND status = $status");
                parameters.Add(("$status", status.Name()));
            }
            return NewestFirst(c, sql, parameters, query.Cursor, query.Limit, Rows.ReadDag, r => (r.CreatedAt, r.Id));
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<AgentDefinition>> ListAgentsAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<AgentDefinition>>(c =>
        {
            using var command = Command(c, $"SELECT {Rows.AgentColumns} FROM agents ORDER BY tenant_id, name");
            using var reader = command.ExecuteReader();
            var agents = new List<AgentDefinition>();
            while (reader.Read())
            {
                agents.Add(Rows.ReadAgent(reader));
            }
            return agents;
        }, cancellationToken);

    /// <inheritdoc />
    public async Task UpsertAgentAsync(AgentDefinition agent, CancellationToken cancellationToken = default)
    {
        try
        {
            await WriteAsync(ctx => ctx.Execute($"""
                INSERT INTO agents ({Rows.AgentColumns})
                VALUES ($id, $tenant, $name, $provider, $model, $prompt, $max, $created, $updated, $settings)
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, provider = excluded.provider, model = excluded.model,
                    system_prompt = excluded.system_prompt, max_concurrency = excluded.max_concurrency, updated_at = excluded.updated_at,
                    settings = excluded.settings
                """,
                ("$id", agent.Id.ToString()), ("$tenant", agent.TenantId), ("$name", agent.Name), ("$provider", agent.Provider),
                ("$model", agent.Model), ("$prompt", agent.SystemPrompt), ("$max", agent.MaxConcurrency),
                ("$created", agent.CreatedAt.ToUnixTimeMilliseconds()), ("$updated", agent.UpdatedAt.ToUnixTimeMilliseconds()),
                ("$settings", StoreValues.SettingsJson(agent.Settings))), cancellationToken);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new ApexConflictException("agent_name_taken", $"An agent named '{agent.Name}' already exists.");
        }
    }

    /// <inheritdoc />
    public Task<bool> DeleteAgentAsync(string tenantId, Guid agentId, CancellationToken cancellationToken = default) =>
        WriteAsync(ctx => ctx.Execute("DELETE FROM agents WHERE id = $id AND tenant_id = $tenant",
            ("$id", agentId.ToString()), ("$tenant", tenantId)) > 0, cancellationToken);

    /// <inheritdoc />
    public Task<AgentUsage> GetAgentUsageAsync(string tenantId, string agentName, CancellationToken cancellationToken = default) =>
        ReadAsync(c => Usage(c, "agent = $value", tenantId, agentName), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<UsageGroup>> GetUsageAsync(string tenantId, UsageGrouping groupBy, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<UsageGroup>>(c =>
        {
            var column = groupBy switch
            {
                UsageGrouping.Model => "model",
                UsageGrouping.Agent => "agent",
                _ => "dag_id",
            };
            using var command = Command(c, $"""
                SELECT {column}, {UsageQuery.Aggregates}
                FROM llm_usage WHERE tenant_id = $tenant AND created_at >= $from AND created_at < $to
                GROUP BY {column} ORDER BY SUM(cost_nanousd) DESC, {column}
                """, ("$tenant", tenantId), ("$from", from.ToUnixTimeMilliseconds()), ("$to", to.ToUnixTimeMilliseconds()));
            using var reader = command.ExecuteReader();
            var groups = new List<UsageGroup>();
            while (reader.Read())
            {
                groups.Add(UsageQuery.Read(reader));
            }
            return groups;
        }, cancellationToken);

    private static AgentUsage Usage(SqliteConnection c, string filter, string tenantId, string value)
    {
        using var command = Command(c, $"""
            SELECT status, COUNT(*), SUM(input_tokens), SUM(output_tokens), SUM(cost_nanousd), SUM(api_calls)
            FROM tasks WHERE tenant_id = $tenant AND {filter} GROUP BY status
            """, ("$tenant", tenantId), ("$value", value));
        using var reader = command.ExecuteReader();
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        long input = 0, output = 0, nanos = 0, calls = 0;
        while (reader.Read())
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
            input += reader.GetInt64(2);
            output += reader.GetInt64(3);
            nanos += reader.GetInt64(4);
            calls += reader.GetInt64(5);
        }
        return new AgentUsage(counts, input, output, StoreValues.FromNanos(nanos), calls);
    }

    private static List<StoredEvent> ReadEvents(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var events = new List<StoredEvent>();
        while (reader.Read())
        {
            events.Add(Rows.ReadEvent(reader));
        }
        return events;
    }

    /// <summary>
    /// Finishes a newest-first list query (<paramref name="sql"/> ends inside its WHERE clause): the keyset condition of
    /// <paramref name="cursor"/>, the order, one row more than <paramref name="limit"/> to know whether a next page exists.
    /// </summary>
    private static RecordPage<T> NewestFirst<T>(SqliteConnection c, StringBuilder sql, List<(string, object?)> parameters, string? cursor, int limit,
        Func<SqliteDataReader, T> read, Func<T, (DateTimeOffset CreatedAt, Guid Id)> keyOf)
    {
        if (PageCursor.Decode(cursor) is { } after)
        {
            sql.Append(" AND (created_at < $c_at OR (created_at = $c_at AND id < $c_id))");
            parameters.Add(("$c_at", after.CreatedAtMs));
            parameters.Add(("$c_id", after.Id.ToString()));
        }
        sql.Append(" ORDER BY created_at DESC, id DESC LIMIT $limit");
        parameters.Add(("$limit", limit + 1));
        using var command = Command(c, sql.ToString(), [.. parameters]);
        using var reader = command.ExecuteReader();
        var items = new List<T>();
        while (reader.Read())
        {
            items.Add(read(reader));
        }
        return PageCursor.Page(items, limit, item =>
        {
            var (at, id) = keyOf(item);
            return (at.ToUnixTimeMilliseconds(), id);
        });
    }
}
