using System.Text;
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
}
