using System.Data.Common;
using Apex.Core.Security;
using Xunit;

namespace Apex.Store.Tests;

public abstract partial class StoreConformanceTests
{
    /// <summary>
    /// Runs SQL on the store's database directly, as someone with access to the database file or server could; with
    /// <paramref name="bypassAppendOnly"/>, after putting the audit log's append-only triggers out of the way.
    /// </summary>
    protected abstract Task ExecuteSqlAsync(string sql, bool bypassAppendOnly = false);

    private IAuditStore Audit => (IAuditStore)Store;

    [Fact]
    public async Task AuditAppend_ChainsEveryEntry_AndKeepsEveryField()
    {
        var first = AuditOf("auth.failed", Start.AddTicks(1234)) with { Actor = "anonymous", Outcome = AuditOutcomes.Failure, Detail = null, TraceId = null, ClientAddress = null };
        var appended = await Audit.AppendAuditAsync([first, AuditOf("key.created", Start.AddSeconds(1))], Ct);
        var more = await Audit.AppendAuditAsync([AuditOf("key.revoked", Start.AddSeconds(2), tenant: "acme")], Ct);

        Assert.Equal([1L, 2L, 3L], appended.Concat(more).Select(e => e.Seq));
        Assert.Equal(AuditChain.Genesis, appended[0].PrevHash);
        Assert.Equal(appended[0].Hash, appended[1].PrevHash);
        Assert.Equal(appended[1].Hash, more[0].PrevHash);
        var stored = await Audit.ReadAuditAsync(0, 10, Ct);
        Assert.Equal(appended.Concat(more), stored);
        Assert.Equal(Start.AddTicks(1234 - 1234 % TimeSpan.TicksPerMillisecond), stored[0].Event.Time);
        Assert.Null(stored[0].Event.Detail);
        Assert.Equal("10.1.2.3", stored[1].Event.ClientAddress);
        Assert.Equal(AuditChain.Hash(2, stored[1].Event, stored[1].PrevHash), stored[1].Hash);
        Assert.Equal([3L], (await Audit.ReadAuditAsync(2, 10, Ct)).Select(e => e.Seq));
    }

    [Fact]
    public async Task ListAudit_IsPerTenantNewestFirst_WithFiltersAndCursor()
    {
        for (var i = 0; i < 5; i++)
        {
            await Audit.AppendAuditAsync([AuditOf(i % 2 == 0 ? "auth.failed" : "key.created", Start.AddMinutes(i)), AuditOf("auth.failed", Start.AddMinutes(i), tenant: "acme")], Ct);
        }

        var page = await Audit.ListAuditAsync(new AuditQuery { TenantId = Tenant, Limit = 2 }, Ct);
        Assert.Equal([9L, 7L], page.Items.Select(e => e.Seq));
        Assert.Equal("7", page.NextCursor);
        var next = await Audit.ListAuditAsync(new AuditQuery { TenantId = Tenant, Limit = 2, BeforeSeq = 7 }, Ct);
        Assert.Equal([5L, 3L], next.Items.Select(e => e.Seq));
        var last = await Audit.ListAuditAsync(new AuditQuery { TenantId = Tenant, Limit = 2, BeforeSeq = 3 }, Ct);
        Assert.Equal([1L], last.Items.Select(e => e.Seq));
        Assert.Null(last.NextCursor);

        var failures = await Audit.ListAuditAsync(new AuditQuery { TenantId = Tenant, Action = "auth.failed" }, Ct);
        Assert.Equal([9L, 5L, 1L], failures.Items.Select(e => e.Seq));
        var window = await Audit.ListAuditAsync(new AuditQuery { TenantId = Tenant, Since = Start.AddMinutes(1), Until = Start.AddMinutes(3) }, Ct);
        Assert.Equal([5L, 3L], window.Items.Select(e => e.Seq));
        var acme = await Audit.ListAuditAsync(new AuditQuery { TenantId = "acme" }, Ct);
        Assert.Equal([10L, 8L, 6L, 4L, 2L], acme.Items.Select(e => e.Seq));
        Assert.All(acme.Items, e => Assert.Equal("acme", e.Event.TenantId));
    }

    [Fact]
    public async Task VerifyAudit_IntactChainOverSeveralPages_IsValid()
    {
        Assert.Equal(new AuditVerification(true, 0, null, null), await AuditChain.VerifyAsync(Audit, 2, Ct));
        var entries = await AppendAuditEntriesAsync(5);

        var result = await AuditChain.VerifyAsync(Audit, 2, Ct);

        Assert.Equal(new AuditVerification(true, 5, null, null, entries[^1].Hash), result);
    }

    [Fact]
    public async Task AuditLog_RefusesUpdateAndDelete()
    {
        await AppendAuditEntriesAsync(2);

        await Assert.ThrowsAnyAsync<DbException>(() => ExecuteSqlAsync("UPDATE audit_log SET detail = 'nothing happened' WHERE seq = 1"));
        await Assert.ThrowsAnyAsync<DbException>(() => ExecuteSqlAsync("DELETE FROM audit_log WHERE seq = 2"));

        Assert.True((await AuditChain.VerifyAsync(Audit, 100, Ct)).Valid);
        Assert.Equal(2, (await Audit.ReadAuditAsync(0, 10, Ct)).Count);
    }

    [Theory]
    [InlineData("detail = 'nothing happened'")]
    [InlineData("outcome = 'denied'")]
    [InlineData("trace_id = NULL")]
    [InlineData("tenant_id = 'acme'")]
    public async Task VerifyAudit_OneEditedRow_IsDetectedAtThatSeq(string change)
    {
        await AppendAuditEntriesAsync(5);

        await ExecuteSqlAsync($"UPDATE audit_log SET {change} WHERE seq = 3", bypassAppendOnly: true);
        var result = await AuditChain.VerifyAsync(Audit, 2, Ct);

        Assert.False(result.Valid);
        Assert.Equal(3, result.FirstInvalidSeq);
        Assert.Equal(2, result.Checked);
        Assert.Contains("does not match its hash", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAudit_EditedRowWithItsHashRecomputed_IsDetectedAtTheNextSeq()
    {
        var entries = await AppendAuditEntriesAsync(4);
        var forged = entries[1].Event with { Detail = "forged" };
        var hash = AuditChain.Hash(2, forged, entries[1].PrevHash);

        await ExecuteSqlAsync($"UPDATE audit_log SET detail = 'forged', hash = '{hash}' WHERE seq = 2", bypassAppendOnly: true);
        var result = await AuditChain.VerifyAsync(Audit, 100, Ct);

        Assert.Equal(3, result.FirstInvalidSeq);
        Assert.Contains("prev_hash", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAudit_DeletedRow_IsDetected()
    {
        await AppendAuditEntriesAsync(5);

        await ExecuteSqlAsync("DELETE FROM audit_log WHERE seq = 3", bypassAppendOnly: true);
        var result = await AuditChain.VerifyAsync(Audit, 2, Ct);

        Assert.False(result.Valid);
        Assert.Equal(3, result.FirstInvalidSeq);
        Assert.Equal(2, result.Checked);
        Assert.Contains("missing", result.Reason, StringComparison.Ordinal);
    }

    private async Task<IReadOnlyList<AuditEntry>> AppendAuditEntriesAsync(int count)
    {
        var entries = new List<AuditEntry>();
        for (var i = 0; i < count; i++)
        {
            entries.AddRange(await Audit.AppendAuditAsync([AuditOf(i % 2 == 0 ? "auth.failed" : "key.created", Start.AddSeconds(i))], Ct));
        }
        return entries;
    }

    private static AuditEvent AuditOf(string action, DateTimeOffset time, string tenant = Tenant) => new()
    {
        Time = time,
        Actor = "key:0198c0de-0000-7000-8000-000000000001",
        TenantId = tenant,
        Action = action,
        Target = "GET /api/v1/tasks",
        Outcome = AuditOutcomes.Success,
        Detail = "name ci, roles operator",
        TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
        ClientAddress = "10.1.2.3",
    };
}
