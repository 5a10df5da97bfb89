namespace Apex.Core.Security;

/// <summary>A stored API key: never its secret, only the secret's hash.</summary>
public sealed record ApiKeyRecord
{
    public required Guid Id { get; init; }

    public required string TenantId { get; init; }

    /// <summary>The public, unique part of the key (<c>apex_&lt;prefix&gt;_&lt;secret&gt;</c>), used to find it.</summary>
    public required string Prefix { get; init; }

    /// <summary>SHA-256 (or HMAC-SHA-256 with the server's pepper) of the whole key.</summary>
    public required byte[] Hash { get; init; }

    public required string Name { get; init; }

    /// <summary>Role names (<see cref="ApexRoles"/>).</summary>
    public required IReadOnlyList<string> Roles { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>Updated at most once per <c>Apex:Auth:LastUsedInterval</c>, not on every request.</summary>
    public DateTimeOffset? LastUsedAt { get; init; }

    /// <summary>Whether the key authenticates at <paramref name="now"/>.</summary>
    public bool IsActive(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);
}
