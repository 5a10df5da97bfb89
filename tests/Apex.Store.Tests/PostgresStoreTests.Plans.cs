using System.Text;
using System.Text.RegularExpressions;
using Apex.Postgres;
using Npgsql;
using Xunit;

namespace Apex.Store.Tests;

public sealed partial class PostgresStoreTests
{
    /// <summary>
    /// DESIGN §5's trap: after five runs of a prepared statement PostgreSQL may switch to a generic plan, which for a
    /// badly written batched update scans the whole table. Every hot statement is planned here as a generic plan on
    /// 200k tasks and must use an index.
    /// </summary>
    [Fact]
    public async Task HotStatements_GenericPlansOnALargeTable_UseIndexes()
    {
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await using (var fill = dataSource.CreateCommand("""
            INSERT INTO dags (id, tenant_id, name, status, failure_policy, task_count, tasks_done, created_at, version)
            SELECT gen_random_uuid(), 'default', 'd', CASE WHEN g % 10 = 0 THEN 'running' ELSE 'succeeded' END, 'fail_fast', 5, 5,
                now() - g * interval '1 ms', 1
            FROM generate_series(1, 20000) g;
            INSERT INTO tasks (id, tenant_id, name, instruction, agent, status, priority, attempt, max_attempts, created_at, started_at, version)
            SELECT gen_random_uuid(), 'default', 't', 'i', 'agent-' || (g % 7),
                CASE WHEN g % 100 = 0 THEN 'queued' WHEN g % 101 = 0 THEN 'running' ELSE 'succeeded' END,
                g % 5, 1, 3, now() - g * interval '1 ms', now(), 3
            FROM generate_series(1, 100000) g;
            INSERT INTO tasks (id, tenant_id, dag_id, dag_position, key, name, instruction, agent, status, priority, max_attempts, created_at, version)
            SELECT gen_random_uuid(), 'default', d.id, n, 'k' || n, 't', 'i', 'default', CASE WHEN d.status = 'running' AND n > 1 THEN 'pending' ELSE 'succeeded' END,
                0, 3, d.created_at, 2
            FROM dags d, generate_series(0, 4) n;
            ANALYZE tasks;
            INSERT INTO task_edges (tenant_id, dag_id, from_id, to_id)
            SELECT 'default', a.dag_id, a.id, b.id FROM tasks a JOIN tasks b ON b.dag_id = a.dag_id AND b.dag_position = a.dag_position + 1
            WHERE a.dag_id IS NOT NULL;
            INSERT INTO events (tenant_id, aggregate_type, aggregate_id, dag_id, version, event_type, data, created_at)
            SELECT tenant_id, 'task', id, dag_id, v, 'task_created', '{}', created_at FROM tasks, generate_series(1, 2) v;
            ANALYZE;
            SET plan_cache_mode = force_generic_plan;
            """))
        {
            fill.CommandTimeout = 300;
            await fill.ExecuteNonQueryAsync(Ct);
        }

        var id = Guid.NewGuid();
        Guid[] ids = [Guid.NewGuid(), Guid.NewGuid()];
        var values = new Dictionary<string, object>
        {
            ["id"] = id,
            ["ids"] = ids,
            ["frontier"] = ids,
            ["froms"] = new[] { "running", "running" },
            ["attempts"] = new[] { 1, 1 },
            ["statuses"] = new[] { "failed", "failed" },
            ["outputs"] = new[] { "o", "o" },
            ["codes"] = new[] { "c", "c" },
            ["messages"] = new[] { "m", "m" },
            ["input_tokens"] = new[] { 1L, 2L },
            ["output_tokens"] = new[] { 1L, 2L },
            ["cost_nanousd"] = new[] { 1L, 2L },
            ["api_calls"] = new[] { 1, 2 },
            ["dag"] = id,
            ["instructions"] = new[] { "a", "b" },
            ["done"] = new[] { 1, 2 },
            ["now"] = DateTimeOffset.UtcNow,
            ["run_at"] = DateTimeOffset.UtcNow,
            ["worker"] = "w",
            ["max"] = 16,
            ["attempt"] = 1,
            ["status"] = "failed",
            ["from"] = "running",
            ["output"] = "o",
            ["code"] = "c",
            ["message"] = "m",
            ["in"] = 1L,
            ["out"] = 1L,
            ["cost"] = 1L,
            ["calls"] = 1,
            ["tenant"] = "default",
            ["type"] = "task",
            ["after"] = 0L,
            ["limit"] = 50,
            ["agent"] = "agent-3",
        };
        var statements = new Dictionary<string, string>
        {
            [nameof(PostgresApexStore.ClaimSql)] = PostgresApexStore.ClaimSql,
            [nameof(PostgresApexStore.ClaimNextSql)] = PostgresApexStore.ClaimNextSql,
            [nameof(PostgresApexStore.RequeueSql)] = PostgresApexStore.RequeueSql,
            [nameof(TaskEndBuffer)] = TaskEndBuffer.Sql,
            [nameof(PostgresApexStore.EndManySql)] = PostgresApexStore.EndManySql,
            [nameof(PostgresApexStore.RetryScheduledSql)] = PostgresApexStore.RetryScheduledSql,
            [nameof(DagProgressBuffer.PromoteSql)] = DagProgressBuffer.PromoteSql,
            [nameof(DagProgressBuffer.DoneSql)] = DagProgressBuffer.DoneSql,
            [nameof(DagProgressBuffer.ReadySql)] = DagProgressBuffer.ReadySql,
            [nameof(PostgresApexStore.SkipLevelSql)] = PostgresApexStore.SkipLevelSql,
            [nameof(PostgresApexStore.LockTaskSql)] = PostgresApexStore.LockTaskSql,
            [nameof(PostgresApexStore.LockDagSql)] = PostgresApexStore.LockDagSql,
            [nameof(PostgresApexStore.LockOpenTasksSql)] = PostgresApexStore.LockOpenTasksSql,
            [nameof(PostgresApexStore.DagTasksSql)] = PostgresApexStore.DagTasksSql,
            [nameof(PostgresApexStore.DagEdgesSql)] = PostgresApexStore.DagEdgesSql,
            ["ListTasks"] = $"SELECT {Rows.TaskColumns} FROM tasks WHERE tenant_id = @tenant ORDER BY created_at DESC, id DESC LIMIT @limit",
            ["ListTasksByAgent"] = $"SELECT {Rows.TaskColumns} FROM tasks WHERE tenant_id = @tenant AND agent = @agent ORDER BY created_at DESC, id DESC LIMIT @limit",
            ["GetEvents"] = $"""
                SELECT {Rows.EventColumns} FROM events
                WHERE aggregate_type = @type AND aggregate_id = @id AND tenant_id = @tenant AND seq > @after ORDER BY version LIMIT @limit
                """,
            ["GetDagStream"] = $"SELECT {Rows.EventColumns} FROM events WHERE dag_id = @dag AND tenant_id = @tenant AND seq > @after ORDER BY seq LIMIT @limit",
        };

        var report = new StringBuilder();
        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        await using (var set = new NpgsqlCommand("SET plan_cache_mode = force_generic_plan", connection))
        {
            await set.ExecuteNonQueryAsync(Ct);
        }
        var index = 0;
        foreach (var (name, sql) in statements)
        {
            var (positional, names) = Positional(sql);
            await using (var prepare = new NpgsqlCommand($"PREPARE p{index} AS {positional}", connection))
            {
                await prepare.ExecuteNonQueryAsync(Ct);
            }
            // EXPLAIN EXECUTE takes no protocol parameters: the arguments go in as literals.
            await using var explain = new NpgsqlCommand($"EXPLAIN EXECUTE p{index}({string.Join(", ", names.Select(n => Literal(values[n])))})", connection);
            var plan = new StringBuilder();
            await using (var reader = await explain.ExecuteReaderAsync(Ct))
            {
                while (await reader.ReadAsync(Ct))
                {
                    plan.AppendLine(reader.GetString(0));
                }
            }
            report.Append("-- ").AppendLine(name).Append(plan);
            index++;
        }

        var text = report.ToString();
        TestContext.Current.SendDiagnosticMessage(text);
        foreach (var table in new[] { "tasks", "dags", "events", "task_edges" })
        {
            Assert.DoesNotContain($"Seq Scan on {table}", text, StringComparison.Ordinal);
        }
    }

    private static string Literal(object value) => value switch
    {
        Guid g => $"'{g}'::uuid",
        Guid[] a => $"ARRAY[{string.Join(", ", a.Select(g => $"'{g}'"))}]::uuid[]",
        string[] a => $"ARRAY[{string.Join(", ", a.Select(t => $"'{t}'"))}]::text[]",
        int[] a => $"ARRAY[{string.Join(", ", a)}]::integer[]",
        long[] a => $"ARRAY[{string.Join(", ", a)}]::bigint[]",
        string t => $"'{t}'",
        DateTimeOffset t => FormattableString.Invariant($"'{t:O}'::timestamptz"),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!,
    };

    /// <summary><c>@name</c> placeholders become <c>$1</c>…, numbered by first appearance, for an SQL-level PREPARE.</summary>
    private static (string Sql, List<string> Names) Positional(string sql)
    {
        var names = new List<string>();
        var text = Regex.Replace(sql, @"(?<![:@\w])@(\w+)", m =>
        {
            var position = names.IndexOf(m.Groups[1].Value);
            if (position < 0)
            {
                names.Add(m.Groups[1].Value);
                position = names.Count - 1;
            }
            return "$" + (position + 1);
        });
        return (text, names);
    }
}
