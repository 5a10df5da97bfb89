using Apex.Core.Security;
using Xunit;

namespace Apex.Core.Tests.Security;

public sealed class AuditChainTests
{
    private static readonly AuditEvent First = new()
    {
        Time = new DateTimeOffset(2030, 1, 2, 3, 4, 5, 678, TimeSpan.Zero),
        Actor = "key:0198c0de-0000-7000-8000-000000000001",
        TenantId = "default",
        Action = "key.created",
        Target = "key:0198c0de-0000-7000-8000-000000000002",
        Outcome = "success",
        Detail = "name ci, roles operator",
        TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
    };

    /// <summary>
    /// The hashes an independent implementation of docs/audit.md's encoding (its Python sample, run once) gives for two
    /// entries: what an external tool computes, this chain must compute.
    /// </summary>
    [Fact]
    public void Hash_MatchesTheDocumentedEncoding()
    {
        var second = First with { Action = "auth.failed", Outcome = "failure", Actor = "anonymous", Detail = null, ClientAddress = "192.0.2.7", Target = "GET /api/v1/tasks" };

        var entries = AuditChain.Extend(0, null, [First, second]);

        Assert.Equal("1776b822816c887f2019a7e0ba3d3eb430f60a11279e0301f3d69a59fa2aac3e", entries[0].Hash);
        Assert.Equal("b804c55f5742f82e752a54b69988a5165bcef84c5e87d3e2a03405f9dfa23107", entries[1].Hash);
        Assert.Equal((AuditChain.Genesis, entries[0].Hash), (entries[0].PrevHash, entries[1].PrevHash));
    }

    [Fact]
    public void Hash_TellsANullFromAnEmptyFieldAndFieldsApart()
    {
        var prev = AuditChain.Genesis;
        var hashes = new[]
        {
            AuditChain.Hash(1, First with { Detail = null }, prev),
            AuditChain.Hash(1, First with { Detail = "" }, prev),
            AuditChain.Hash(1, First with { Detail = "a", TraceId = "b" }, prev),
            AuditChain.Hash(1, First with { Detail = "ab", TraceId = "" }, prev),
            AuditChain.Hash(2, First, prev),
            AuditChain.Hash(1, First, new string('1', 64)),
        };

        Assert.Equal(hashes.Length, hashes.Distinct().Count());
    }

    [Fact]
    public void Extend_ContinuesAfterTheLastEntry_AndCutsTimesToTheMillisecond()
    {
        var entries = AuditChain.Extend(41, new string('a', 64), [First with { Time = First.Time.AddTicks(9_999) }]);

        Assert.Equal((42L, new string('a', 64)), (entries[0].Seq, entries[0].PrevHash));
        Assert.Equal(First.Time, entries[0].Event.Time);
        Assert.Equal(AuditChain.Hash(42, First, new string('a', 64)), entries[0].Hash);
    }
}
