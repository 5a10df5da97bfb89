using Apex.Core.Storage;
using Apex.Sqlite;
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

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
