namespace Apex.Core.Security;

/// <summary>Where API keys live: the same database as the rest of the state, implemented by each store.</summary>
public interface IApiKeyStore
{
    /// <summary>Inserts a new key.</summary>
    Task CreateApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken = default);

    /// <summary>The key with this prefix, of any tenant, revoked or not; null when there is none.</summary>
    Task<ApiKeyRecord?> FindApiKeyAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>A tenant's keys, newest first, revoked ones included.</summary>
    Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string tenantId, CancellationToken cancellationToken = default);

    /// <summary>Marks a key revoked (once: a second revocation keeps the first time); null when the tenant has no such key.</summary>
    Task<ApiKeyRecord?> RevokeApiKeyAsync(string tenantId, Guid keyId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default);

    /// <summary>Records when keys were last used (only moving the time forward).</summary>
    Task TouchApiKeysAsync(IReadOnlyCollection<(Guid KeyId, DateTimeOffset UsedAt)> uses, CancellationToken cancellationToken = default);

    /// <summary>Whether any key was ever created, revoked ones included (the <c>Auto</c> mode's rule).</summary>
    Task<bool> AnyApiKeyAsync(CancellationToken cancellationToken = default);
}
