using System.Net;
using System.Net.Sockets;
using Apex.Core;
using Apex.Core.Errors;
using Apex.Core.Storage;
using Apex.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;

namespace Apex.Store.Tests;

/// <summary>A store whose server cannot be reached answers 503 (<see cref="ApexUnavailableException"/>), never a raw error. Needs no server.</summary>
public sealed class PostgresUnavailableTests
{
    [Fact]
    public async Task Store_NothingListening_ThrowsUnavailable()
    {
        var options = new PostgresOptions { MinPoolSize = 0, ConnectionTimeout = TimeSpan.FromSeconds(2) };
        await using var dataSource = PostgresDataSource.Create($"Host=127.0.0.1;Port={ClosedPort()};Username=postgres;Database=postgres", options);
        await using var store = new PostgresApexStore(dataSource, Options.Create(options), new RecordingEventBus(), TimeProvider.System,
            NullLogger<PostgresApexStore>.Instance);
        var ct = TestContext.Current.CancellationToken;

        var initialize = await Assert.ThrowsAsync<ApexUnavailableException>(() => store.InitializeAsync(ct));
        var read = await Assert.ThrowsAsync<ApexUnavailableException>(() => store.GetTaskAsync(Tenancy.DefaultTenant, Guid.NewGuid(), ct));
        var list = await Assert.ThrowsAsync<ApexUnavailableException>(() => store.ListTasksAsync(new TaskQuery { TenantId = Tenancy.DefaultTenant }, ct));
        var ping = await Assert.ThrowsAsync<ApexUnavailableException>(() => store.PingAsync(ct));

        Assert.Equal("store_unavailable", initialize.Code);
        Assert.NotNull(initialize.InnerException);
        Assert.IsAssignableFrom<Npgsql.NpgsqlException>(read.InnerException);
        Assert.Equal("store_unavailable", list.Code);
        Assert.Equal("store_unavailable", ping.Code);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
