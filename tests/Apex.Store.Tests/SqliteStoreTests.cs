using Apex.Core.Storage;
using Apex.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Apex.Store.Tests;

/// <summary>The conformance suite on the embedded store, one temporary database file per test.</summary>
public sealed class SqliteStoreTests : StoreConformanceTests
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"apex-store-tests-{Guid.NewGuid():N}");

    protected override Task<IApexStore> CreateStoreAsync()
    {
        Directory.CreateDirectory(_directory);
        var options = Options.Create(new SqliteOptions { Path = Path.Combine(_directory, "apex.db") });
        return Task.FromResult<IApexStore>(new SqliteApexStore(options, Bus, Time, NullLogger<SqliteApexStore>.Instance));
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
