using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Apex.Postgres;

/// <summary>
/// Analyzes the hot tables of a young database until autovacuum has analyzed each of them once. A prepared statement's
/// generic plan is costed once and kept until the next ANALYZE; on a new database the first plans are made while the
/// tables hold a few pages, and autovacuum's launcher first visits a new database up to a minute later. Until then a
/// sequential scan chosen over a few rows of <c>tasks</c> ran against tens of thousands (measured: the results'
/// <c>SELECT … FROM tasks WHERE id = ANY($1)</c> at 30–70 ms, and submissions at 1,000/s waiting 80–150 ms at the
/// median, for the first minute of every fresh database). Each table is analyzed whenever it has changed by half its
/// rows (and at least <see cref="PostgresOptions.YoungTableAnalyzeRows"/>) since its last analysis, which re-plans the
/// cached statements; the service stops once autovacuum has taken over every table.
/// </summary>
internal sealed partial class YoungTableStatistics(
    NpgsqlDataSource dataSource, IOptions<PostgresOptions> options, TimeProvider timeProvider, ILogger<YoungTableStatistics> logger) : BackgroundService
{
    /// <summary>The tables every task writes or reads by key.</summary>
    internal static readonly string[] HotTables = ["tasks", "events", "dags", "task_edges", "llm_usage"];

    private const string StateSql = """
        SELECT relname, last_autoanalyze IS NOT NULL, n_mod_since_analyze >= GREATEST(@rows, n_live_tup / 2)
        FROM pg_stat_user_tables
        WHERE schemaname = current_schema() AND relname = ANY(@tables)
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.YoungTableAnalyzeRows <= 0)
        {
            return;
        }
        using var timer = new PeriodicTimer(options.Value.YoungTableCheckInterval, timeProvider);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (await CheckAsync(stoppingToken))
                {
                    return;
                }
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                LogCheckFailed(e);
            }
        }
    }

    /// <summary>Analyzes the young tables that are due; true once autovacuum has analyzed every hot table.</summary>
    internal async Task<bool> CheckAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var due = new List<string>();
        var adopted = 0;
        await using (var state = new NpgsqlCommand(StateSql, connection))
        {
            state.Parameters.AddWithValue("rows", (long)options.Value.YoungTableAnalyzeRows);
            state.Parameters.AddWithValue("tables", HotTables);
            await using var reader = await state.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (reader.GetBoolean(1))
                {
                    adopted++;
                }
                else if (reader.GetBoolean(2))
                {
                    due.Add(reader.GetString(0));
                }
            }
        }
        foreach (var table in due)
        {
            // The names are this class's constants. SKIP_LOCKED: another server analyzing the same table is enough.
            await using var analyze = new NpgsqlCommand($"ANALYZE (SKIP_LOCKED) {table}", connection);
            await analyze.ExecuteNonQueryAsync(cancellationToken);
            LogAnalyzed(table);
        }
        return adopted == HotTables.Length;
    }

    [LoggerMessage(EventId = 3111, Level = LogLevel.Information, Message = "Analyzed young table {Table}: its cached plans are made again on its current size")]
    private partial void LogAnalyzed(string table);

    [LoggerMessage(EventId = 3112, Level = LogLevel.Warning, Message = "Checking the statistics of the young tables failed; trying again")]
    private partial void LogCheckFailed(Exception exception);
}
