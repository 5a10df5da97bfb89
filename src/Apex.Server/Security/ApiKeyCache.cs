using Apex.Core.Security;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Options;

namespace Apex.Server.Security;

/// <summary>
/// Keys by prefix, in this server's memory only (hashes never go to Redis) for <c>Apex:Auth:KeyCacheTtl</c>. A revocation
/// evicts the entry here at once and, through the cache invalidation channel, on the other API servers.
/// </summary>
/// <remarks>
/// The store is passed per lookup, not injected: the store depends on the event bus, which depends on the invalidation
/// relay, which depends on this cache.
/// </remarks>
internal sealed class ApiKeyCache(HybridCache cache, AuthState state, IOptions<AuthOptions> options)
{
    private const string KeyPrefix = "apikey:";

    private readonly HybridCacheEntryOptions _entryOptions = new()
    {
        Expiration = options.Value.KeyCacheTtl,
        LocalCacheExpiration = options.Value.KeyCacheTtl,
        Flags = HybridCacheEntryFlags.DisableDistributedCache,
    };

    public ValueTask<CachedApiKey> FindAsync(IApiKeyStore store, string prefix, CancellationToken cancellationToken) =>
        cache.GetOrCreateAsync(KeyPrefix + prefix, (store, prefix),
            static async (s, ct) => CachedApiKey.From(await s.store.FindApiKeyAsync(s.prefix, ct)), _entryOptions, cancellationToken: cancellationToken);

    /// <summary>A key was created or revoked, here or on another server.</summary>
    public ValueTask ChangedAsync(string prefix)
    {
        state.KeyCreated();
        return cache.RemoveAsync(KeyPrefix + prefix);
    }

    /// <summary>The prefix of an invalidation message about a key; false for other messages.</summary>
    public static bool TryParseMessage(string message, out string prefix)
    {
        prefix = message.StartsWith(KeyPrefix, StringComparison.Ordinal) ? message[KeyPrefix.Length..] : "";
        return prefix.Length == ApiKeyFormat.PrefixLength;
    }

    public static string Message(string prefix) => KeyPrefix + prefix;
}
