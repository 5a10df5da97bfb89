using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Postgres;
using Apex.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Xunit;

namespace Apex.Store.Tests;

/// <summary>
/// The conformance suite on PostgreSQL (one database per class, emptied before each test), plus what only a store
/// shared by several servers must do: each extra <see cref="PostgresApexStore"/> made here has its own data source,
/// as a second API server would.
/// </summary>
public sealed partial class PostgresStoreTests(PostgresDatabase database) : StoreConformanceTests, IClassFixture<PostgresDatabase>
{
    private static readonly PostgresOptions ServerOptions = new() { MinPoolSize = 0, MaxPoolSize = 10 };

    private readonly List<IAsyncDisposable> _owned = [];

    protected override async Task<IApexStore> CreateStoreAsync()
    {
        PostgresDatabase.RequireServer();
        await database.ResetAsync();
        return NewServer(database.ConnectionString, Bus, Time);
    }

    /// <summary>A store with its own connection pool, like another API server on the same database.</summary>
    private PostgresApexStore NewServer(string connectionString, IEventBus bus, TimeProvider time)
    {
        var dataSource = PostgresDataSource.Create(connectionString, ServerOptions);
        var store = new PostgresApexStore(dataSource, Options.Create(ServerOptions), bus, time, NullLogger<PostgresApexStore>.Instance);
        _owned.Add(dataSource);
        _owned.Add(store);
        return store;
    }

    protected override async Task ExecuteSqlAsync(string sql, bool bypassAppendOnly = false)
    {
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await using var command = dataSource.CreateCommand(bypassAppendOnly
            ? $"BEGIN; ALTER TABLE audit_log DISABLE TRIGGER USER; {sql}; ALTER TABLE audit_log ENABLE TRIGGER USER; COMMIT;"
            : sql);
        await command.ExecuteNonQueryAsync(Ct);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }
    }
}
