using Apex.Core.Security;
using Apex.Server.Audit;
using Apex.Sqlite;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Apex.Server.Tests.Audit;

/// <summary>The queue between <see cref="AuditTrail.Record(AuditEvent)"/> and the store, on a real embedded store.</summary>
public sealed class AuditWriterTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"apex-audit-tests-{Guid.NewGuid():N}");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));
    private SqliteApexStore _store = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _store = new SqliteApexStore(Options.Create(new SqliteOptions { Path = Path.Combine(_directory, "apex.db") }),
            new Apex.Engine.Events.InProcessEventBus(), _time, NullLogger<SqliteApexStore>.Instance);
        await _store.InitializeAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task FullQueue_DropsAndCounts_ThenRecordsAuditDroppedWithTheCount()
    {
        var trail = Trail(new AuditOptions { QueueCapacity = 3 });
        for (var i = 0; i < 10; i++)
        {
            trail.Record(Event($"GET /api/v1/tasks/{i}"));
        }
        var writer = Writer(trail, new AuditOptions { MaxBatch = 100 });

        Assert.True(await writer.WriteAsync(Ct));
        trail.Record(Event("GET /api/v1/tasks/after"));
        Assert.True(await writer.WriteAsync(Ct));

        var entries = await _store.ReadAuditAsync(0, 100, Ct);
        Assert.Equal(["GET /api/v1/tasks/0", "GET /api/v1/tasks/1", "GET /api/v1/tasks/2", "audit_log", "GET /api/v1/tasks/after"],
            entries.Select(e => e.Event.Target));
        var dropped = entries[3].Event;
        Assert.Equal((AuditActions.Dropped, AuditOutcomes.Failure), (dropped.Action, dropped.Outcome));
        Assert.StartsWith("7 entries dropped", dropped.Detail, StringComparison.Ordinal);
        Assert.True((await AuditChain.VerifyAsync(_store, 100, Ct)).Valid);
    }

    [Fact]
    public async Task Write_AppendsAtMostMaxBatchPerTransaction_InOrder()
    {
        var trail = Trail(new AuditOptions());
        for (var i = 0; i < 5; i++)
        {
            trail.Record(Event($"t{i}"));
        }
        var writer = Writer(trail, new AuditOptions { MaxBatch = 2 });

        await writer.WriteAsync(Ct);
        Assert.Equal(2, (await _store.ReadAuditAsync(0, 100, Ct)).Count);
        await writer.WriteAsync(Ct);
        await writer.WriteAsync(Ct);

        Assert.Equal(["t0", "t1", "t2", "t3", "t4"], (await _store.ReadAuditAsync(0, 100, Ct)).Select(e => e.Event.Target));
        Assert.False(trail.Reader.TryPeek(out _));
    }

    [Fact]
    public async Task Stop_AppendsWhatIsStillQueued()
    {
        var trail = Trail(new AuditOptions());
        for (var i = 0; i < 50; i++)
        {
            trail.Record(Event($"t{i}"));
        }
        using var writer = Writer(trail, new AuditOptions { MaxBatch = 1 });

        await writer.StartAsync(Ct);
        await writer.StopAsync(Ct);

        Assert.Equal(50, (await _store.ReadAuditAsync(0, 100, Ct)).Count);
        Assert.False(trail.Reader.TryPeek(out _));
    }

    [Fact]
    public void Record_CutsLongFields_AndTakesTheCallerFromTheRequest()
    {
        var trail = Trail(new AuditOptions { MaxFieldLength = 64 });
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = System.Net.IPAddress.Parse("192.0.2.7");

        trail.Record(context, AuditActions.QuotaChanged, AuditOutcomes.Success, "tenant:acme", new string('x', 100), tenant: "acme");

        Assert.True(trail.Reader.TryRead(out var e));
        Assert.Equal(("anonymous", "acme", "192.0.2.7", 64), (e.Actor, e.TenantId, e.ClientAddress, e.Detail!.Length));
        Assert.Equal(_time.GetUtcNow(), e.Time);
    }

    private AuditTrail Trail(AuditOptions options) => new(Options.Create(options), _time);

    private AuditWriter Writer(AuditTrail trail, AuditOptions options) =>
        new(trail, _store, Options.Create(options), _time, NullLogger<AuditWriter>.Instance);

    private AuditEvent Event(string target) => new()
    {
        Time = _time.GetUtcNow(),
        Actor = "anonymous",
        TenantId = "default",
        Action = AuditActions.AuthFailed,
        Target = target,
        Outcome = AuditOutcomes.Failure,
    };
}
