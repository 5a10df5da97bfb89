using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Apex.Testing;
using Npgsql;
using Xunit;

namespace Apex.E2E.Distributed;

internal static partial class TaskAudit
{
    private const int MismatchesShown = 10;

    /// <summary>
    /// Invariant 3, read straight from PostgreSQL rather than through the API: for every task in <c>tasks</c>, its events
    /// in <c>events</c> have versions 1..n with n the row's version, hold one terminal event exactly when the row is
    /// terminal (since the last manual retry), and folded in version order by <see cref="TaskProjection.Fold"/> reproduce
    /// the row column by column. Returns how many tasks and events were replayed.
    /// </summary>
    public static async Task<(int Tasks, int Events)> AssertEventsReplayToRowsAsync(PostgresTestDatabase database, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // One snapshot for both reads, so no transition can fall between them.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var histories = new Dictionary<Guid, List<StoredEvent>>();
        await using (var command = new NpgsqlCommand("""
            SELECT seq, tenant_id, aggregate_id, version, event_type, data, created_at, dag_id
            FROM events WHERE aggregate_type = @type ORDER BY aggregate_id, version
            """, connection, transaction))
        {
            command.Parameters.AddWithValue("type", EventTypes.Task);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var e = new StoredEvent
                {
                    Seq = reader.GetInt64(0),
                    TenantId = reader.GetString(1),
                    AggregateType = EventTypes.Task,
                    AggregateId = reader.GetGuid(2),
                    Version = reader.GetInt32(3),
                    EventType = reader.GetString(4),
                    Data = reader.GetString(5),
                    CreatedAt = reader.GetFieldValue<DateTimeOffset>(6),
                    DagId = reader.IsDBNull(7) ? null : reader.GetGuid(7),
                };
                if (!histories.TryGetValue(e.AggregateId, out var history))
                {
                    histories[e.AggregateId] = history = [];
                }
                history.Add(e);
            }
        }

        var events = histories.Values.Sum(h => h.Count);
        var mismatches = new List<string>();
        var tasks = 0;
        await using (var command = new NpgsqlCommand("""
            SELECT id, tenant_id, dag_id, key, name, instruction, agent, status, priority, attempt, max_attempts, output, error_code,
                   error_message, input_tokens, output_tokens, cost_nanousd, api_calls, created_at, run_at, started_at, finished_at, version
            FROM tasks
            """, connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                tasks++;
                var id = reader.GetGuid(0);
                if (!histories.Remove(id, out var history))
                {
                    mismatches.Add($"Task {id} has a row but no events.");
                    continue;
                }
                var version = reader.GetInt32(22);
                if (!history.Select(e => e.Version).SequenceEqual(Enumerable.Range(1, version)))
                {
                    mismatches.Add($"Task {id}: row version {version}, event versions {string.Join(",", history.Select(e => e.Version))}.");
                    continue;
                }
                var status = StoreValues.ParseTaskState(reader.GetString(7));
                var sinceRetry = history.Skip(history.FindLastIndex(e => e.EventType == EventTypes.TaskRetried) + 1);
                var terminal = sinceRetry.Count(e => EventTypes.IsTerminal(e.EventType));
                if (terminal != (ApexHttp.FinishedTask.Contains(status) ? 1 : 0))
                {
                    mismatches.Add($"Task {id} ({status}) has {terminal} terminal events: {string.Join(" ", history.Select(e => e.EventType))}.");
                }
                var folded = TaskProjection.Fold(history)!;
                (string Column, object? Row, object? Folded)[] columns =
                [
                    ("tenant_id", reader.GetString(1), folded.TenantId),
                    ("dag_id", OrNull<Guid>(reader, 2), folded.DagId),
                    ("key", OrNull<string>(reader, 3), folded.Key),
                    ("name", reader.GetString(4), folded.Name),
                    ("instruction", reader.GetString(5), folded.Instruction),
                    ("agent", reader.GetString(6), folded.Agent),
                    ("status", status, folded.Status),
                    ("priority", reader.GetInt32(8), folded.Priority),
                    ("attempt", reader.GetInt32(9), folded.Attempt),
                    ("max_attempts", reader.GetInt32(10), folded.MaxAttempts),
                    ("output", OrNull<string>(reader, 11), folded.Output),
                    ("error_code", OrNull<string>(reader, 12), folded.ErrorCode),
                    ("error_message", OrNull<string>(reader, 13), folded.ErrorMessage),
                    ("input_tokens", reader.GetInt64(14), folded.InputTokens),
                    ("output_tokens", reader.GetInt64(15), folded.OutputTokens),
                    ("cost_nanousd", reader.GetInt64(16), StoreValues.ToNanos(folded.CostUsd)),
                    ("api_calls", reader.GetInt32(17), folded.ApiCalls),
                    ("created_at", reader.GetFieldValue<DateTimeOffset>(18), folded.CreatedAt),
                    ("run_at", OrNull<DateTimeOffset>(reader, 19), folded.RunAt),
                    ("started_at", OrNull<DateTimeOffset>(reader, 20), folded.StartedAt),
                    ("finished_at", OrNull<DateTimeOffset>(reader, 21), folded.FinishedAt),
                    ("version", version, folded.Version),
                ];
                mismatches.AddRange(columns.Where(c => !Equals(c.Row, c.Folded))
                    .Select(c => $"Task {id} ({string.Join(" ", history.Select(e => e.EventType))}): {c.Column} row={c.Row ?? "null"} folded={c.Folded ?? "null"}"));
            }
        }
        mismatches.AddRange(histories.Keys.Select(id => $"Task {id} has events but no row."));
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} difference(s) between the tasks table and the replay of the events table " +
            $"(first {Math.Min(MismatchesShown, mismatches.Count)}):\n{string.Join("\n", mismatches.Take(MismatchesShown))}");
        Assert.True(tasks > 0, "The database holds no task: the replay checked nothing.");
        Report.Line($"Replayed {events} events of {tasks} tasks from PostgreSQL: each fold reproduces its tasks row.");
        return (tasks, events);
    }

    private static object? OrNull<T>(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<T>(ordinal);
}
