namespace Apex.Contracts.Keys;

/// <summary>An API key as listed: never its secret.</summary>
public sealed record ApiKeyResponse
{
    /// <summary>Key id (used to revoke it).</summary>
    public required Guid Id { get; init; }

    /// <summary>The key's public part, as in <c>apex_&lt;prefix&gt;_…</c>: how to recognise a key without its secret.</summary>
    public required string Prefix { get; init; }

    /// <summary>What the key is for.</summary>
    public required string Name { get; init; }

    /// <summary>The tenant the key acts for.</summary>
    public required string Tenant { get; init; }

    /// <summary>Its roles.</summary>
    public required IReadOnlyList<string> Roles { get; init; }

    /// <summary>When it was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it stops working; null: never.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>When it was revoked; null: it was not.</summary>
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>When it last authenticated a request, to within a minute (setting <c>Apex:Auth:LastUsedInterval</c>).</summary>
    public DateTimeOffset? LastUsedAt { get; init; }
}
