using Apex.Agents.Simulated;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Options;

namespace Apex.Agents.ResponseCache;

/// <summary>
/// The optional response cache of real providers (<see cref="LlmCacheOptions"/>). The agent runtime puts it above
/// each call's contract meter: a hit asks no provider, so it reserves nothing, counts no API call, spends no rate limit
/// and fits even a contract that is used up. The simulated provider is never cached: its latency is what load tests
/// measure.
/// </summary>
public sealed class LlmResponseCache(IOptions<LlmCacheOptions> options, HybridCache cache)
{
    /// <summary>True when answers of <paramref name="provider"/> are cached.</summary>
    public bool Caches(string provider) =>
        options.Value.Enabled && !string.Equals(provider, SimulatedChatClient.ProviderName, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// <paramref name="client"/> (a metered call to <paramref name="model"/> of <paramref name="provider"/>) behind the
    /// cache, or itself when that provider is not cached.
    /// </summary>
    public IChatClient Wrap(string provider, string model, IChatClient client) =>
        Caches(provider) ? new ResponseCachingChatClient(client, provider, model, cache, options.Value.Ttl) : client;
}
