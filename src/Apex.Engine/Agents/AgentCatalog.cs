using System.Collections.Frozen;
using Apex.Agents.Runtime;
using Apex.Agents.Simulated;
using Apex.Core;
using Apex.Core.Agents;
using Apex.Core.Storage;
using Microsoft.Extensions.Options;

namespace Apex.Engine.Agents;

/// <summary>The agents of every tenant, cached in memory: agents are few and read on every dispatch.</summary>
public sealed class AgentCatalog(IApexStore store, IChatClientProvider providers, IOptions<EngineOptions> options, TimeProvider timeProvider)
{
    private readonly SemaphoreSlim _refresh = new(1, 1);

    private FrozenDictionary<(string Tenant, string Name), AgentDefinition> _byName =
        FrozenDictionary<(string, string), AgentDefinition>.Empty;

    /// <summary>Every agent.</summary>
    public IEnumerable<AgentDefinition> All => _byName.Values;

    /// <summary>
    /// Loads the catalog and creates the built-in <c>default</c> agent when missing. A <c>default</c> agent still on
    /// the Simulated provider moves to the default provider once a real one is configured (say <c>OPENAI_API_KEY</c>
    /// was set and the server restarted), unless <see cref="EngineOptions.DefaultAgentProvider"/> pins it.
    /// </summary>
    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        await RefreshAsync(cancellationToken);
        var provider = options.Value.DefaultAgentProvider ?? providers.DefaultProvider;
        var model = options.Value.DefaultAgentModel ?? providers.DefaultModel(provider);
        var found = _byName.TryGetValue((Tenancy.DefaultTenant, AgentDefinition.DefaultName), out var existing);
        var moves = found && options.Value.DefaultAgentProvider is null && existing!.Provider == SimulatedChatClient.ProviderName
            && provider != SimulatedChatClient.ProviderName;
        if (found && !moves)
        {
            return;
        }
        var now = timeProvider.GetUtcNow();
        await store.UpsertAgentAsync(new AgentDefinition
        {
            TenantId = Tenancy.DefaultTenant,
            Id = existing?.Id ?? Guid.CreateVersion7(now),
            Name = AgentDefinition.DefaultName,
            Provider = provider,
            Model = model,
            SystemPrompt = existing?.SystemPrompt,
            MaxConcurrency = existing?.MaxConcurrency ?? options.Value.DefaultAgentMaxConcurrency,
            CreatedAt = existing?.CreatedAt ?? now,
            UpdatedAt = now,
        }, cancellationToken);
        await RefreshAsync(cancellationToken);
    }

    /// <summary>Reloads from the store after a change.</summary>
    /// <remarks>
    /// One reload at a time, each reading and publishing before the next reads: otherwise a reload that read before a
    /// concurrent create could publish after the reload that saw it, and the new agent would vanish from the catalog.
    /// </remarks>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            var agents = await store.ListAgentsAsync(cancellationToken);
            _byName = agents.ToFrozenDictionary(a => (a.TenantId, a.Name));
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>
    /// The agent named <paramref name="name"/> of <paramref name="tenantId"/>. A tenant that has not made its own
    /// <c>default</c> agent uses the installation's (the default tenant's): every tenant can submit without an agent.
    /// </summary>
    public bool TryGet(string tenantId, string name, out AgentDefinition agent) =>
        _byName.TryGetValue((tenantId, name), out agent!)
        || (name == AgentDefinition.DefaultName && _byName.TryGetValue((Tenancy.DefaultTenant, name), out agent!));

    /// <summary>Concurrency cap of an agent (by its dispatch key, <c>tenant/name</c>).</summary>
    public int ConcurrencyOf(string laneKey)
    {
        var slash = laneKey.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && TryGet(laneKey[..slash], laneKey[(slash + 1)..], out var agent)
            ? agent.MaxConcurrency
            : options.Value.DefaultAgentMaxConcurrency;
    }
}
