using Microsoft.Extensions.AI;

namespace Apex.Agents.Runtime;

/// <summary>Resolves the <see cref="IChatClient"/> of a provider and model.</summary>
public interface IChatClientProvider
{
    /// <summary>Provider names this instance serves.</summary>
    IReadOnlyCollection<string> Providers { get; }

    /// <summary>The client for <paramref name="model"/> at <paramref name="provider"/>; throws when the provider is unknown.</summary>
    IChatClient GetClient(string provider, string model);
}
