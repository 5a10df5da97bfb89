using System.Text;
using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
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
        var context = new WriteContext(connection, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), option);
        if (touchesDags)
        {
            context.PlanForArguments();
        }
        Assert.Equal(expected, await context.ScalarAsync("SELECT current_setting('plan_cache_mode')"));
        await context.CommitAsync();
        await using var after = new NpgsqlCommand("SELECT current_setting('plan_cache_mode')", connection);
        Assert.Equal("auto", await after.ExecuteScalarAsync(Ct));
    }

    /// <summary>
    /// The group's set-based updates check their row counts in the server, in the round trip that commits: an end whose
    /// row is no longer at the state it was locked at fails the commit (AX001, which splits the group), and nothing of
    /// the group is kept, neither the end nor a task inserted beside it.
    /// </summary>
    [Fact]
    public async Task WriteContext_AnEndThatChangesNoRow_FailsTheCommitAndKeepsNothing()
    {
        await CreateStoreAsync();
        var queued = await SubmitAsync();
        var inserted = Spec("Inserted in the failing group.");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        var context = new WriteContext(connection, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        context.DeferInsert(inserted, dagId: null, position: null, key: null, TaskState.Queued);
        // Locked "running" at attempt 1, as a worker's result would say; the row is queued at attempt 0.
        await context.DeferEndAsync(queued with { Status = TaskState.Running, Attempt = 1 }, TaskState.Succeeded, "done", null, UsageDelta.None);

        var failure = await Assert.ThrowsAsync<PostgresException>(() => context.CommitAsync());
        await context.RollBackAsync();

        Assert.Equal("AX001", failure.SqlState);
        Assert.Contains("Ending locked task(s): 1 expected, 0 row(s) changed", failure.MessageText, StringComparison.Ordinal);
        Assert.Equal(TaskState.Queued, (await RowAsync(queued.Id)).Status);
        Assert.Null(await Store.GetTaskAsync(Tenant, inserted.Id, Ct));
        await using var after = new NpgsqlCommand("SELECT 1", connection);
        Assert.Equal(1, await after.ExecuteScalarAsync(Ct));
    }

    /// <summary>
    /// A new database whose <c>tasks</c> grew to 5,000 rows before autovacuum's first visit: the young-table check
    /// analyzes it (the plans cached on its first rows are made again), leaves the tables that barely changed, and does
    /// not analyze again until the table has changed by half.
    /// </summary>
    [Fact]
    public async Task YoungTables_GrownBeforeAutovacuumsFirstVisit_AreAnalyzedByTheServer()
    {
        var fresh = await database.CreateDatabaseAsync();
        await NewServer(fresh, new RecordingEventBus(), Time).InitializeAsync(Ct);
        await using var dataSource = NpgsqlDataSource.Create(fresh);
        await using (var fill = dataSource.CreateCommand("""
            ALTER TABLE tasks SET (autovacuum_enabled = false);
            INSERT INTO tasks (id, tenant_id, name, instruction, agent, status, priority, attempt, max_attempts, created_at, version)
            SELECT gen_random_uuid(), 'default', 't', 'i', 'default', 'queued', 0, 0, 3, now(), 1 FROM generate_series(1, 5000);
            SELECT pg_stat_force_next_flush();
            """))
        {
            await fill.ExecuteNonQueryAsync(Ct);
        }
        var check = new YoungTableStatistics(dataSource, Options.Create(new PostgresOptions()), TimeProvider.System, NullLogger<YoungTableStatistics>.Instance);

        Assert.False(await check.CheckAsync(Ct));
        Assert.False(await check.CheckAsync(Ct));

        await using var analyzed = dataSource.CreateCommand(
            "SELECT relname, analyze_count FROM pg_stat_user_tables WHERE relname IN ('tasks', 'dags') ORDER BY relname");
        await using var reader = await analyzed.ExecuteReaderAsync(Ct);
        var counts = new Dictionary<string, long>();
        while (await reader.ReadAsync(Ct))
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }
        Assert.Equal(1, counts["tasks"]);
        Assert.Equal(0, counts["dags"]);
    }
}
