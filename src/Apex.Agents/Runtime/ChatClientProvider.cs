using System.Collections.Concurrent;
using Apex.Agents.Simulated;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Apex.Agents.Runtime;

/// <summary>
/// Builds one <see cref="IChatClient"/> pipeline per (provider, model) and keeps it. Only the Simulated provider is
/// registered so far; real providers plug in here.
/// </summary>
internal sealed class ChatClientProvider(IOptions<SimulatedOptions> simulated, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    : IChatClientProvider
{
    private readonly ConcurrentDictionary<(string Provider, string Model), IChatClient> _clients = new();

    public IReadOnlyCollection<string> Providers { get; } = [SimulatedChatClient.ProviderName];

    public IChatClient GetClient(string provider, string model) =>
        _clients.GetOrAdd((provider, model), key => key.Provider switch
        {
            SimulatedChatClient.ProviderName => new ChatClientBuilder(new SimulatedChatClient(simulated.Value, key.Model, timeProvider))
                .UseLogging(loggerFactory)
                .UseOpenTelemetry(loggerFactory, sourceName: AgentTelemetry.SourceName)
                .Build(),
            _ => throw new AgentExecutionException("unknown_provider", $"No LLM provider named '{key.Provider}' is configured.", retryable: false),
        });
}
