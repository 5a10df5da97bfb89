using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Apex.Sqlite;

/// <summary>What one write sees inside the group-commit transaction: prepared commands, the clock, its events.</summary>
internal sealed class WriteContext(SqliteConnection connection)
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RawStatement?> _statements = new(StringComparer.Ordinal);

    public SqliteTransaction Transaction { get; set; } = null!;

    /// <summary>Milliseconds since the Unix epoch, one value for the whole write so rows and events agree.</summary>
    public long Now { get; set; }

    public DateTimeOffset NowOffset => DateTimeOffset.FromUnixTimeMilliseconds(Now);

    public List<StoredEvent> Events { get; } = [];

    /// <summary>Idle workers of this process a write may start the tasks it makes ready on (null: none offered).</summary>
    public IEagerStarts? Starts { get; set; }

    /// <summary>Tasks this write claimed for reserved workers, handed to them once committed.</summary>
    public List<(DispatchItem Item, TaskRecord Task)> Started { get; } = [];

    /// <summary>A cached command for <paramref name="sql"/>, parameters cleared, bound to the current transaction.</summary>
    public SqliteCommand Command(string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            _commands[sql] = command;
        }
        command.Transaction = Transaction;
        return command;
    }

    /// <summary>Runs a statement that returns no rows: through <see cref="RawStatement"/> when it can, else as a command.</summary>
    public int Execute(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        if (!_statements.TryGetValue(sql, out var statement))
        {
            statement = RawStatement.TryPrepare(connection.Handle!, sql);
            _statements[sql] = statement;
        }
        if (statement is not null && statement.TryExecute(parameters, out var changed))
        {
            return changed;
        }
        var command = Command(sql);
        Rebind(command, parameters);
        return command.ExecuteNonQuery();
    }

    public object? Scalar(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var command = Command(sql);
        Rebind(command, parameters);
        return command.ExecuteScalar();
    }

    public SqliteDataReader Query(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var command = Command(sql);
        Rebind(command, parameters);
        return command.ExecuteReader();
    }

    public void Append<T>(string tenantId, string aggregateType, Guid aggregateId, int version, string eventType, T data, JsonTypeInfo<T> type, Guid? dagId)
    {
        var json = JsonSerializer.Serialize(data, type);
        Execute("""
            INSERT INTO events (tenant_id, aggregate_type, aggregate_id, dag_id, version, event_type, data, created_at)
            VALUES ($tenant, $type, $id, $dag, $version, $event, $data, $at)
            """,
            ("$tenant", tenantId), ("$type", aggregateType), ("$id", aggregateId.ToString()), ("$dag", dagId?.ToString()),
            ("$version", version), ("$event", eventType), ("$data", json), ("$at", Now));
        // The row's seq from the connection, not a RETURNING clause: RETURNING costs a reader per event (about 6 µs on the
        // SQLite floor bench). Only the writer's thread uses this connection, so nothing can insert in between.
        var seq = raw.sqlite3_last_insert_rowid(connection.Handle);
        Events.Add(new StoredEvent
        {
            Seq = seq,
            TenantId = tenantId,
            AggregateType = aggregateType,
            AggregateId = aggregateId,
            Version = version,
            EventType = eventType,
            Data = json,
            CreatedAt = NowOffset,
            DagId = dagId,
        });
    }

    public void DisposeCommands()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }
        _commands.Clear();
        foreach (var statement in _statements.Values)
        {
            statement?.Dispose();
        }
        _statements.Clear();
    }

    /// <summary>
    /// Sets a cached command's parameters: by position when the command was last run with the same names in the same
    /// order (the common case: one call site per statement), otherwise from scratch.
    /// </summary>
    private static void Rebind(SqliteCommand command, ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var existing = command.Parameters;
        var same = existing.Count == parameters.Length;
        for (var i = 0; same && i < parameters.Length; i++)
        {
            same = string.Equals(existing[i].ParameterName, parameters[i].Name, StringComparison.Ordinal);
        }
        if (!same)
        {
            existing.Clear();
            Bind(command, parameters);
            return;
        }
        for (var i = 0; i < parameters.Length; i++)
        {
            existing[i].Value = parameters[i].Value ?? DBNull.Value;
        }
    }

    internal static void Bind(SqliteCommand command, ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
    }
}
