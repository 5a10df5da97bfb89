namespace Apex.Contracts.Audit;

/// <summary>One entry of the audit log (docs/audit.md).</summary>
public sealed record AuditEntryResponse
{
    /// <summary>Position in the one global chain, from 1 without gaps.</summary>
    public required long Seq { get; init; }

    /// <summary>When it happened, to the millisecond.</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>Who: <c>key:&lt;id&gt;</c>, <c>bootstrap</c>, <c>jwt:&lt;subject&gt;</c>, or <c>anonymous</c>.</summary>
    public required string Actor { get; init; }

    /// <summary>The tenant it concerns.</summary>
    public required string Tenant { get; init; }

    /// <summary>What, such as <c>auth.failed</c>, <c>key.created</c> or <c>approval.approved</c>.</summary>
    public required string Action { get; init; }

    /// <summary>What it acted on, such as <c>key:&lt;id&gt;</c> or <c>GET /api/v1/tasks</c>.</summary>
    public required string Target { get; init; }

    /// <summary><c>success</c>, <c>failure</c> or <c>denied</c>.</summary>
    public required string Outcome { get; init; }

    /// <summary>A short explanation; never a secret.</summary>
    public string? Detail { get; init; }

    /// <summary>The W3C trace id of the request, when it was traced.</summary>
    public string? TraceId { get; init; }

    /// <summary>The caller's network address as the server saw it.</summary>
    public string? ClientAddress { get; init; }

    /// <summary>The hash of the entry before (64 zeros for the first).</summary>
    public required string PrevHash { get; init; }

    /// <summary>SHA-256 of this entry's fields and <see cref="PrevHash"/>, lowercase hex (docs/audit.md has the encoding).</summary>
    public required string Hash { get; init; }
}
