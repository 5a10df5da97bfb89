using System.Text.Json.Serialization;

namespace Apex.Contracts.Audit;

/// <summary>The result of walking the whole audit chain (<c>GET /api/v1/admin/audit/verify</c>).</summary>
public sealed record AuditVerificationResponse
{
    /// <summary>Whether every entry is in place and unchanged.</summary>
    public required bool Valid { get; init; }

    /// <summary>Entries found intact before the first broken one (all of them when valid).</summary>
    public required long Checked { get; init; }

    /// <summary>The seq of the first entry missing or changed; null when valid.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public long? FirstInvalidSeq { get; init; }

    /// <summary>What is wrong at <see cref="FirstInvalidSeq"/>; null when valid.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Reason { get; init; }

    /// <summary>When valid, the last entry's hash: keep it elsewhere to detect a later rewrite of the chain's tail.</summary>
    public string? HeadHash { get; init; }
}
