using System.ComponentModel;
using Apex.Core.Security;

namespace Apex.Server.Security;

/// <summary>What a lookup by prefix found, as kept in memory (immutable: the cache hands out this instance, no copy).</summary>
[ImmutableObject(true)]
internal sealed class CachedApiKey
{
    /// <summary>No key has this prefix (cached too, so unknown prefixes do not reach the store on every request).</summary>
    public static CachedApiKey Missing { get; } = new();

    public Guid Id { get; private init; }

    public string Tenant { get; private init; } = "";

    public string Name { get; private init; } = "";

    public byte[] Hash { get; private init; } = [];

    public string[] Roles { get; private init; } = [];

    public DateTimeOffset? ExpiresAt { get; private init; }

    public bool Revoked { get; private init; }

    public bool Exists => Hash.Length > 0;

    public static CachedApiKey From(ApiKeyRecord? key) => key is null
        ? Missing
        : new()
        {
            Id = key.Id,
            Tenant = key.TenantId,
            Name = key.Name,
            Hash = key.Hash,
            Roles = [.. key.Roles],
            ExpiresAt = key.ExpiresAt,
            Revoked = key.RevokedAt is not null,
        };
}
