using Microsoft.Extensions.AI;

namespace Apex.Agents.Runtime;

/// <summary>Resolves the <see cref="IChatClient"/> of a provider and model.</summary>
public interface IChatClientProvider
{
    /// <summary>Provider names this instance serves; <c>simulated</c> is always one.</summary>
    IReadOnlyCollection<string> Providers { get; }

    /// <summary>
    /// The provider new agents get: <c>Apex:Providers:Default</c> when set, else the first configured OpenAI, Anthropic
    /// or Ollama provider, else <c>simulated</c>.
    /// </summary>
    string DefaultProvider { get; }

    /// <summary>The model new agents on <paramref name="provider"/> get; throws when the provider is unknown.</summary>
    string DefaultModel(string provider);

    /// <summary>The client for <paramref name="model"/> at <paramref name="provider"/>; throws when the provider is unknown.</summary>
    IChatClient GetClient(string provider, string model);
}
