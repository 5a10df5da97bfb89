namespace Apex.Contracts.Keys;

/// <summary>Body of <c>POST /api/v1/admin/keys</c>.</summary>
public sealed record CreateApiKeyRequest
{
    /// <summary>What the key is for (1–100 characters), shown in listings.</summary>
    public string? Name { get; init; }

    /// <summary>Roles: <c>admin</c>, <c>operator</c>, <c>viewer</c>, <c>approver</c>, <c>worker</c> (at least one).</summary>
    public IReadOnlyList<string>? Roles { get; init; }

    /// <summary>
    /// The tenant the key acts for (1–64 of <c>a-z 0-9 _ -</c>); the creator's when null. Only an admin of the
    /// <c>default</c> tenant (a platform admin) may name another tenant: that is how a tenant comes to exist.
    /// </summary>
    public string? Tenant { get; init; }

    /// <summary>When the key stops working; never when null.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}
