using Apex.Core.Errors;
using Apex.Core.Events;
using Apex.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Apex.Postgres;

/// <summary>
/// The distributed store: PostgreSQL through one <see cref="NpgsqlDataSource"/>, shared by several API servers.
/// Writes of this process are group-committed by <see cref="PostgresWriter"/>; reads use pooled connections and never
/// wait for the writer. Same observable behaviour as the embedded store, made safe for concurrent writers: claims use
/// <c>FOR UPDATE SKIP LOCKED</c>, transitions compare-and-set on (status, attempt) under a row lock, and DAG
/// propagation holds the DAG row so the last completion of a DAG is seen by exactly one transaction.
/// </summary>
public sealed partial class PostgresApexStore(
    NpgsqlDataSource dataSource,
    IOptions<PostgresOptions> options,
    IEventBus bus,
    TimeProvider timeProvider,
    ILogger<PostgresApexStore> logger) : IApexStore, IStoreStatistics, IEagerStartStore, IAsyncDisposable
{
    private readonly PostgresOptions _options = options.Value;
    private readonly SemaphoreSlim _initialize = new(1, 1);
    private readonly PostgresPoolStatistics _pool = new(dataSource);
    private PostgresWriter? _writer;
    private IEagerStarts? _starts;

    /// <inheritdoc />
    public string Backend => "postgres";

    /// <summary>Connections of the pool in use right now (reads, group commits, migrations), as Npgsql counts them.</summary>
    public int ConnectionsActive => _pool.Used;

    /// <summary>The pool's limit (<see cref="PostgresOptions.MaxPoolSize"/>).</summary>
    public int ConnectionsMax => _options.MaxPoolSize;

    /// <inheritdoc />
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await _initialize.WaitAsync(cancellationToken);
        try
        {
            if (_writer is not null)
            {
                return;
            }
            await MigrateAsync(cancellationToken);
            _writer = new PostgresWriter(dataSource, bus, _options, timeProvider, logger);
            if (_starts is not null)
            {
                _writer.UseEagerStarts(_starts);
            }
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e) && !cancellationToken.IsCancellationRequested)
        {
            throw new ApexUnavailableException("The PostgreSQL store cannot be reached to apply its migrations.", e);
        }
        finally
        {
            _initialize.Release();
        }
    }

    /// <summary>
    /// From now on, a submission (standalone tasks, a DAG's roots) and a completion that makes a DAG's dependents ready
    /// claim them for <paramref name="starts"/> (the distributed dispatcher) in their own group commit, as far as it
    /// reserves room for them; the others are queued. Approvals and retries still queue their tasks for its claim.
    /// </summary>
    public void UseEagerStarts(IEagerStarts starts)
    {
        _initialize.Wait();
        try
        {
            _starts = starts;
            _writer?.UseEagerStarts(starts);
        }
        finally
        {
            _initialize.Release();
        }
    }

    /// <inheritdoc />
    public async Task PingAsync(CancellationToken cancellationToken = default)
    {
        _ = Writer;
        await ReadAsync(async c =>
        {
            await using var command = Command(c, "SELECT 1");
            return await command.ExecuteScalarAsync(cancellationToken);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_writer is not null)
        {
            await _writer.DisposeAsync();
        }
        _initialize.Dispose();
        _pool.Dispose();
    }

    /// <summary>
    /// Applies the missing migrations in one transaction under a transaction advisory lock, so servers that start
    /// together run each migration once (the others wait, then find it recorded in <c>schema_migrations</c>), and nothing
    /// is held past the transaction: behind PgBouncer in transaction mode a session lock could outlive it on a pooled
    /// server connection. The upgrade is all or nothing.
    /// </summary>
    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock(@lock)", cancellationToken, ("lock", PostgresMigrations.MigrationLock));
        await ExecuteAsync(connection, PostgresMigrations.CreateMigrationsTable, cancellationToken);
        var applied = new HashSet<int>();
        await using (var command = Command(connection, "SELECT version FROM schema_migrations"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                applied.Add(reader.GetInt32(0));
            }
        }
        var done = new List<(int Version, string Name)>();
        foreach (var (version, name, sql) in PostgresMigrations.All)
        {
            if (applied.Contains(version))
            {
                continue;
            }
            await ExecuteAsync(connection, sql, cancellationToken);
            await ExecuteAsync(connection, "INSERT INTO schema_migrations (version, name) VALUES (@version, @name)", cancellationToken,
                ("version", version), ("name", name));
            done.Add((version, name));
        }
        await transaction.CommitAsync(cancellationToken);
        foreach (var (version, name) in done)
        {
            LogMigrated(version, name);
        }
    }

    private PostgresWriter Writer => _writer ?? throw new ApexUnavailableException("The PostgreSQL store is not initialized yet.");

    private Task<T> WriteAsync<T>(WriteKey key, Func<WriteContext, Task<T>> work, CancellationToken cancellationToken) =>
        Writer.WriteAsync(key, work, cancellationToken);

    private async Task<T> ReadAsync<T>(Func<NpgsqlConnection, Task<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            return await read(connection);
        }
        catch (Exception e) when (PostgresErrors.IsUnavailable(e) && !cancellationToken.IsCancellationRequested)
        {
            throw new ApexUnavailableException("The PostgreSQL store cannot be read right now.", e);
        }
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        WriteContext.Bind(command.Parameters, parameters);
        return command;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 3110, Level = LogLevel.Information, Message = "Applied PostgreSQL migration {Version} ({Name})")]
    private partial void LogMigrated(int version, string name);
}
