using System.Text;
using Apex.Contracts.Dags;
using Apex.Postgres;
using Npgsql;
using Xunit;

namespace Apex.Store.Tests;

public sealed partial class PostgresStoreTests
{
    /// <summary>
    /// The queue fills faster than autovacuum analyses it: statistics taken on an empty queue say "one queued task"
    /// while 20,000 wait. The batched claim must still find the picked rows by primary key, not filter the whole queue
    /// against the picked list (which made one claim of 1,000 take seconds under load).
    /// </summary>
    [Fact]
    public async Task ClaimNext_StatisticsOfAnEmptyQueue_UpdatesThePickedRowsByPrimaryKey()
    {
        await CreateStoreAsync();
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        await using (var fill = new NpgsqlCommand("""
            ANALYZE tasks;
            INSERT INTO tasks (id, tenant_id, name, instruction, agent, status, priority, attempt, max_attempts, created_at, version)
            SELECT gen_random_uuid(), 'default', 't', 'i', 'default', 'queued', 0, 0, 3, now() - g * interval '1 ms', 1
            FROM generate_series(1, 20000) g;
            """, connection))
        {
            await fill.ExecuteNonQueryAsync(Ct);
        }

        await using var transaction = await connection.BeginTransactionAsync(Ct);
        var sql = PostgresApexStore.ClaimNextSql.Replace("@max", "1000", StringComparison.Ordinal).Replace("@now", "now()", StringComparison.Ordinal)
            .Replace("@worker", "'w'", StringComparison.Ordinal);
        await using var explain = new NpgsqlCommand($"EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF) {sql}", connection, transaction);
        var plan = new StringBuilder();
        await using (var reader = await explain.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                plan.AppendLine(reader.GetString(0));
            }
        }
        await transaction.RollbackAsync(Ct);

        var text = plan.ToString();
        TestContext.Current.SendDiagnosticMessage(text);
        Assert.True(text.Contains("Update on tasks", StringComparison.Ordinal), text);
        Assert.True(text.Contains("tasks_pkey", StringComparison.Ordinal), text);
        Assert.False(text.Contains("Rows Removed by", StringComparison.Ordinal), text);
    }

    /// <summary>
    /// Statistics taken while no task was pending, then 20,000 pending tasks: the ready-dependents lookup of a finished
    /// task must still read its dependents by primary key, not walk every pending task of the cluster through
    /// <c>idx_tasks_pending</c> (which made each completion of DAGs of 10 at 100/s take 30-50 ms, and the DAGs time out).
    /// </summary>
    [Fact]
    public async Task ReadyLookup_StatisticsOfNoPendingTask_ReadsTheDependentsByPrimaryKey()
    {
        var dag = Dag(FailurePolicy.FailFast, Node("a", "A."), Node("b", "B {{tasks.a.output}}", "a"), Node("c", "C.", "a"));
        await Store.SubmitDagAsync(dag, null, Ct);
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        await using (var fill = new NpgsqlCommand("""
            UPDATE tasks SET status = 'queued' WHERE status = 'pending';
            ANALYZE tasks; ANALYZE task_edges;
            UPDATE tasks SET status = 'pending' WHERE key IN ('b', 'c');
            INSERT INTO tasks (id, tenant_id, name, instruction, agent, status, priority, attempt, max_attempts, created_at, version)
            SELECT gen_random_uuid(), 'default', 't', 'i', 'default', 'pending', 0, 0, 3, now() - g * interval '1 ms', 1
            FROM generate_series(1, 20000) g;
            UPDATE tasks SET status = 'succeeded' WHERE key = 'a';
            """, connection))
        {
            await fill.ExecuteNonQueryAsync(Ct);
        }

        var sql = DagProgressBuffer.ReadySql.Replace("@ids", $"ARRAY['{dag.Tasks[0].Id}'::uuid]", StringComparison.Ordinal);
        await using var explain = new NpgsqlCommand($"EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF) {sql}", connection);
        var plan = new StringBuilder();
        await using (var reader = await explain.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                plan.AppendLine(reader.GetString(0));
            }
        }
        await using var run = new NpgsqlCommand(sql, connection);
        var ready = new List<Guid>();
        await using (var reader = await run.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                ready.Add(reader.GetGuid(0));
            }
        }

        var text = plan.ToString();
        TestContext.Current.SendDiagnosticMessage(text);
        Assert.Equal(dag.Tasks.Skip(1).Select(t => t.Id).Order(), ready.Order());
        Assert.False(text.Contains("idx_tasks_pending", StringComparison.Ordinal), text);
        Assert.False(text.Contains("Seq Scan on tasks", StringComparison.Ordinal), text);
    }

    /// <summary>
    /// A group commit that touches DAG rows plans its statements for their arguments (its generic plans went wrong on
    /// young tables); a group of standalone tasks keeps the cached plans; the setting ends with the transaction.
    /// </summary>
    [Theory]
    [InlineData(true, true, "force_custom_plan")]
    [InlineData(true, false, "auto")]
    [InlineData(false, true, "auto")]
    public async Task WriteContext_OnDagRows_PlansForTheArgumentsUntilTheCommit(bool option, bool touchesDags, string expected)
    {
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        await using (var transaction = await connection.BeginTransactionAsync(Ct))
        {
            var context = new WriteContext(connection, transaction, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), option);
            if (touchesDags)
            {
                context.PlanForArguments();
            }
            Assert.Equal(expected, await context.ScalarAsync("SELECT current_setting('plan_cache_mode')"));
            await transaction.CommitAsync(Ct);
        }
        await using var after = new NpgsqlCommand("SELECT current_setting('plan_cache_mode')", connection);
        Assert.Equal("auto", await after.ExecuteScalarAsync(Ct));
    }
}
