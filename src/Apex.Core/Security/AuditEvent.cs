namespace Apex.Core.Security;

/// <summary>
/// Something security-relevant that happened: who (<see cref="Actor"/>) did what (<see cref="Action"/>) to what
/// (<see cref="Target"/>), with what result (<see cref="Outcome"/>). Becomes an <see cref="AuditEntry"/> once appended.
/// </summary>
public sealed record AuditEvent
{
    /// <summary>When it happened (stored to the millisecond).</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>Who: <c>key:&lt;id&gt;</c>, <c>bootstrap</c>, <c>jwt:&lt;subject&gt;</c>, or <c>anonymous</c>.</summary>
    public required string Actor { get; init; }

    /// <summary>The tenant it concerns.</summary>
    public required string TenantId { get; init; }

    /// <summary>What, such as <c>key.created</c> (<see cref="AuditActions"/>).</summary>
    public required string Action { get; init; }

    /// <summary>What it acted on, such as <c>key:&lt;id&gt;</c> or <c>GET /api/v1/tasks</c>.</summary>
    public required string Target { get; init; }

    /// <summary><c>success</c>, <c>failure</c> or <c>denied</c> (<see cref="AuditOutcomes"/>).</summary>
    public required string Outcome { get; init; }

    /// <summary>A short explanation; never a secret or a credential.</summary>
    public string? Detail { get; init; }

    /// <summary>The W3C trace id (32 hex digits) of the request, when it was traced.</summary>
    public string? TraceId { get; init; }

    /// <summary>The caller's network address, as the server saw it.</summary>
    public string? ClientAddress { get; init; }
}
