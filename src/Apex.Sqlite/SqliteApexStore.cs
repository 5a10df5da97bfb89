using System.Globalization;
using Apex.Core.Errors;
using Apex.Core.Events;
using Apex.Core.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Apex.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode. Writes are group-committed by <see cref="SqliteWriter"/>;
/// reads use pooled connections and never wait for the writer.
/// </summary>
public sealed partial class SqliteApexStore(IOptions<SqliteOptions> options, IEventBus bus, TimeProvider timeProvider, ILogger<SqliteApexStore> logger)
    : IApexStore, IStoreStatistics, IEagerStartStore, IAsyncDisposable
{
    private readonly SqliteOptions _options = options.Value;
    private readonly string _connectionString = BuildConnectionString(options.Value);
    private SqliteConnection? _writeConnection;
    private SqliteWriter? _writer;
    private int _readsActive;

    /// <inheritdoc />
    public string Backend => "sqlite";

    /// <summary>The database file.</summary>
    public string DatabasePath => Path.GetFullPath(_options.Path);

    /// <summary>Read connections in use right now (plus the writer's one).</summary>
    public int ConnectionsActive => Volatile.Read(ref _readsActive) + (_writeConnection is null ? 0 : 1);

    /// <summary>One writer plus the readers the thread pool can run at once.</summary>
    public int ConnectionsMax => 1 + (Environment.ProcessorCount * 2);

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        if (_writer is not null)
        {
            return Task.CompletedTask;
        }
        var directory = Path.GetDirectoryName(DatabasePath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Exec(connection, $"PRAGMA journal_mode = WAL; PRAGMA synchronous = {Synchronous(_options.Synchronous)}; PRAGMA foreign_keys = OFF;");
        Exec(connection, SqliteSchema.Create);
        // Columns added after the table first shipped: added in place to older databases (CREATE IF NOT EXISTS cannot).
        AddColumnIfMissing(connection, "agents", "settings", "TEXT NULL");
        AddColumnIfMissing(connection, "tasks", "output_schema", "TEXT NULL");
        AddColumnIfMissing(connection, "tasks", "traceparent", "TEXT NULL");
        AddColumnIfMissing(connection, "tasks", "tracestate", "TEXT NULL");
        AddColumnIfMissing(connection, "llm_usage", "cascade_step", "INTEGER NULL");
        AddColumnIfMissing(connection, "llm_usage", "cascade_outcome", "TEXT NULL");
        AddColumnIfMissing(connection, "llm_usage", "cascade_reason", "TEXT NULL");
        AddColumnIfMissing(connection, "llm_usage", "top_cost_nanousd", "INTEGER NULL");
        using (var check = connection.CreateCommand())
        {
            check.CommandText = "SELECT version FROM schema_info LIMIT 1";
            if (check.ExecuteScalar() is null)
            {
                Exec(connection, $"INSERT INTO schema_info (version) VALUES ({SqliteSchema.Version.ToString(CultureInfo.InvariantCulture)})");
            }
        }
        _writeConnection = connection;
        _writer = new SqliteWriter(connection, bus, _options, timeProvider, logger);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task PingAsync(CancellationToken cancellationToken = default)
    {
        _ = Writer;
        await ReadAsync(c =>
        {
            using var command = c.CreateCommand();
            command.CommandText = "SELECT 1";
            return command.ExecuteScalar();
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_writer is not null)
        {
            await _writer.DisposeAsync();
        }
        _writeConnection?.Dispose();
        SqliteConnection.ClearAllPools();
    }

    /// <inheritdoc />
    public void UseEagerStarts(IEagerStarts starts) => Writer.UseEagerStarts(starts);

    private SqliteWriter Writer => _writer ?? throw new ApexUnavailableException("The embedded store is not initialized yet.");

    private Task<T> WriteAsync<T>(Func<WriteContext, T> work, CancellationToken cancellationToken) => Writer.WriteAsync(work, cancellationToken);

    private Task<T> ReadAsync<T>(Func<SqliteConnection, T> read, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Increment(ref _readsActive);
        try
        {
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            return Task.FromResult(read(connection));
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 5 or 6 or 10 or 14)
        {
            throw new ApexUnavailableException("The embedded store cannot be read right now.", e);
        }
        finally
        {
            Interlocked.Decrement(ref _readsActive);
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        WriteContext.Bind(command, parameters);
        return command;
    }

    private static void AddColumnIfMissing(SqliteConnection connection, string table, string column, string definition)
    {
        using var check = connection.CreateCommand();
        check.CommandText = $"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = '{column}'";
        if (Convert.ToInt64(check.ExecuteScalar(), CultureInfo.InvariantCulture) == 0)
        {
            Exec(connection, $"ALTER TABLE {table} ADD COLUMN {column} {definition}");
        }
    }

    private static void Exec(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string Synchronous(string value) => value.ToUpperInvariant() switch
    {
        "OFF" or "NORMAL" or "FULL" or "EXTRA" => value.ToUpperInvariant(),
        _ => throw new OptionsValidationException(SqliteOptions.Section, typeof(SqliteOptions), [$"Apex:Sqlite:Synchronous must be OFF, NORMAL, FULL or EXTRA, not '{value}'."]),
    };

    private static string BuildConnectionString(SqliteOptions options) => new SqliteConnectionStringBuilder
    {
        DataSource = Path.GetFullPath(options.Path),
        Mode = SqliteOpenMode.ReadWriteCreate,
        Cache = SqliteCacheMode.Private,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();
}
