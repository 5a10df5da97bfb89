using System.Collections.Concurrent;
using Apex.Agents.Runtime;
using Apex.Agents.Simulated;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Apex.Agents.ResponseCache;

/// <summary>
/// Puts a <see cref="ResponseCachingChatClient"/> in front of every real provider's client when
/// <see cref="LlmCacheOptions.Enabled"/>; outermost, so a hit spends no rate limit and makes no provider call. The
/// simulated provider is never cached: its latency is what load tests measure.
/// </summary>
internal sealed class CachingChatClientProvider(IChatClientProvider inner, IOptions<LlmCacheOptions> options, IServiceProvider services) : IChatClientProvider
{
    private readonly ConcurrentDictionary<(string Provider, string Model), IChatClient> _clients = new();

    public IReadOnlyCollection<string> Providers => inner.Providers;

    public string DefaultProvider => inner.DefaultProvider;

    public string DefaultModel(string provider) => inner.DefaultModel(provider);

    public IChatClient GetClient(string provider, string model) =>
        !options.Value.Enabled || string.Equals(provider, SimulatedChatClient.ProviderName, StringComparison.OrdinalIgnoreCase)
            ? inner.GetClient(provider, model)
            : _clients.GetOrAdd((provider, model), key => new ResponseCachingChatClient(
                inner.GetClient(key.Provider, key.Model), key.Provider, key.Model, services.GetRequiredService<HybridCache>(), options.Value.Ttl));
}
