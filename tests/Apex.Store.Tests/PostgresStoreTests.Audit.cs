using Apex.Core.Security;
using Npgsql;
using Xunit;

namespace Apex.Store.Tests;

public sealed partial class PostgresStoreTests
{
    [Fact]
    public async Task AppendAudit_TwoServersAtOnce_ExtendOneValidChain()
    {
        var other = await SecondServerAsync();
        const int BatchesPerWriter = 25;
        const int BatchSize = 4;

        async Task AppendAsync(IAuditStore server, string actor)
        {
            for (var i = 0; i < BatchesPerWriter; i++)
            {
                var batch = Enumerable.Range(0, BatchSize).Select(j => new AuditEvent
                {
                    Time = Start.AddSeconds(i),
                    Actor = actor,
                    TenantId = Tenant,
                    Action = AuditActions.AuthFailed,
                    Target = "GET /api/v1/tasks",
                    Outcome = AuditOutcomes.Failure,
                    Detail = $"{i}.{j}",
                }).ToArray();
                await server.AppendAuditAsync(batch, Ct);
            }
        }
        await Task.WhenAll(AppendAsync((IAuditStore)Store, "a1"), AppendAsync((IAuditStore)Store, "a2"), AppendAsync(other, "b1"), AppendAsync(other, "b2"));

        var result = await AuditChain.VerifyAsync((IAuditStore)Store, 37, Ct);
        Assert.True(result.Valid, result.Reason);
        Assert.Equal(4 * BatchesPerWriter * BatchSize, result.Checked);
        var entries = await ((IAuditStore)Store).ReadAuditAsync(0, 1_000, Ct);
        Assert.Equal(Enumerable.Range(1, 400).Select(i => (long)i), entries.Select(e => e.Seq));
        // A batch is contiguous in the chain: its entries are appended under one lock.
        foreach (var writer in entries.GroupBy(e => e.Event.Actor))
        {
            Assert.All(writer.Chunk(BatchSize), batch => Assert.Equal(BatchSize - 1, batch[^1].Seq - batch[0].Seq));
        }
    }

    [Fact]
    public async Task AuditLog_RefusesTruncate()
    {
        await ((IAuditStore)Store).AppendAuditAsync([new AuditEvent
        {
            Time = Start, Actor = "anonymous", TenantId = Tenant, Action = AuditActions.AuthFailed, Target = "GET /", Outcome = AuditOutcomes.Failure,
        }], Ct);

        var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteSqlAsync("TRUNCATE audit_log"));

        Assert.Contains("append-only", refused.MessageText, StringComparison.Ordinal);
        Assert.Single(await ((IAuditStore)Store).ReadAuditAsync(0, 10, Ct));
    }
}
