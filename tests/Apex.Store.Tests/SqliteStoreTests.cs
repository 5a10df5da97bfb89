using Apex.Contracts.Dags;
using Apex.Core.Storage;
using Apex.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;

namespace Apex.Store.Tests;

/// <summary>The conformance suite on the embedded store, one temporary database file per test.</summary>
public sealed partial class SqliteStoreTests : StoreConformanceTests
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"apex-store-tests-{Guid.NewGuid():N}");

    protected override Task<IApexStore> CreateStoreAsync()
    {
        Directory.CreateDirectory(_directory);
        var options = Options.Create(new SqliteOptions { Path = Path.Combine(_directory, "apex.db") });
        return Task.FromResult<IApexStore>(new SqliteApexStore(options, Bus, Time, NullLogger<SqliteApexStore>.Instance));
    }

    [Fact]
    public async Task GroupCommit_WritesRefusedAmongOthers_UndoOnlyThemselves()
    {
        await Store.SubmitTasksAsync([Spec()], new IdempotencyKey("taken", "hash-a"), Ct);
        var good = Enumerable.Range(0, 300).Select(_ => Spec()).ToArray();
        // Refused after writing: the second insert of the same task breaks the primary key once the first row is in.
        var duplicated = Enumerable.Range(0, 10).Select(_ => Spec()).ToArray();
        // Refused before writing: an idempotency key reused with another body.
        var reused = Enumerable.Range(0, 10).Select(_ => Spec()).ToArray();

        // Started together, so the writer finds them waiting and commits them in shared batches.
        var calls = new List<(NewTask Task, Task<SubmitOutcome> Call)>();
        for (var i = 0; i < good.Length; i++)
        {
            calls.Add((good[i], Store.SubmitTasksAsync([good[i]], null, Ct)));
            if (i % 30 == 0)
            {
                var d = duplicated[i / 30];
                calls.Add((d, Store.SubmitTasksAsync([d, d], null, Ct)));
                var r = reused[i / 30];
                calls.Add((r, Store.SubmitTasksAsync([r], new IdempotencyKey("taken", "hash-b"), Ct)));
            }
        }
        var refused = 0;
        foreach (var (_, call) in calls)
        {
            try
            {
                await call;
            }
            catch (Exception e) when (e is SqliteException or Core.Errors.ApexValidationException)
            {
                refused++;
            }
        }

        Assert.Equal(duplicated.Length + reused.Length, refused);
        foreach (var task in good)
        {
            Assert.NotNull(await Store.GetTaskAsync(Tenant, task.Id, Ct));
        }
        foreach (var task in duplicated.Concat(reused))
        {
            Assert.Null(await Store.GetTaskAsync(Tenant, task.Id, Ct));
        }
        // Events are published only for what was committed.
        var created = Bus.Published.Where(e => e.EventType == Core.Events.EventTypes.TaskCreated).Select(e => e.AggregateId).ToHashSet();
        Assert.Subset(created, good.Select(t => t.Id).ToHashSet());
        Assert.DoesNotContain(created, id => duplicated.Concat(reused).Any(t => t.Id == id));
    }

    [Theory]
    [InlineData(nameof(SqliteApexStore.DagEdgesSql), "idx_task_edges_dag")]
    [InlineData(nameof(SqliteApexStore.DagTasksSql), "idx_tasks_dag_status")]
    public async Task DagReads_OnATenantWithManyTasks_SearchTheDagsIndexes(string statement, string index)
    {
        for (var i = 0; i < 5; i++)
        {
            await Store.SubmitTasksAsync([.. Enumerable.Range(0, 200).Select(_ => Spec())], null, Ct);
        }
        await Store.SubmitDagAsync(Dag(FailurePolicy.FailFast, Node("a", "A."), Node("b", "B: {{tasks.a.output}}", "a")), null, Ct);
        var sql = statement == nameof(SqliteApexStore.DagEdgesSql) ? SqliteApexStore.DagEdgesSql : SqliteApexStore.DagTasksSql;

        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "apex.db")};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"EXPLAIN QUERY PLAN {sql}";
        command.Parameters.AddWithValue("$dag", Guid.NewGuid().ToString());
        command.Parameters.AddWithValue("$tenant", Tenant);
        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                plan.Add(reader.GetString(3));
            }
        }

        Assert.Contains(plan, step => step.Contains(index, StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.Contains("idx_tasks_created", StringComparison.Ordinal) || step.StartsWith("SCAN", StringComparison.Ordinal));
    }

    protected override async Task ExecuteSqlAsync(string sql, bool bypassAppendOnly = false)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "apex.db")};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = bypassAppendOnly ? $"DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; {sql}" : sql;
        await command.ExecuteNonQueryAsync(Ct);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
