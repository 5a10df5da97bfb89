using Apex.Agents.Pricing;
using Apex.Agents.Simulated;
using Apex.Core.Agents;
using Apex.Core.Events;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Apex.Agents.Runtime;

/// <summary>Runs one attempt of a task on an agent: system prompt + instruction → LLM → output and metered usage.</summary>
public sealed class AgentRunner(IChatClientProvider clients, IOptionsMonitor<PricingOptions> pricing)
{
    /// <summary>Runs <paramref name="instruction"/> on <paramref name="agent"/>.</summary>
    /// <exception cref="AgentExecutionException">The provider failed; the code says how.</exception>
    public async Task<AgentRunResult> RunAsync(AgentDefinition agent, string instruction, CancellationToken cancellationToken = default)
    {
        var client = clients.GetClient(agent.Provider, agent.Model);
        List<ChatMessage> messages = string.IsNullOrWhiteSpace(agent.SystemPrompt)
            ? [new(ChatRole.User, instruction)]
            : [new(ChatRole.System, agent.SystemPrompt), new(ChatRole.User, instruction)];

        ChatResponse response;
        try
        {
            response = await client.GetResponseAsync(messages, new ChatOptions { ModelId = agent.Model }, cancellationToken);
        }
        catch (SimulatedProviderException e)
        {
            throw new AgentExecutionException("provider_error", e.Message, retryable: false, e);
        }
        catch (HttpRequestException e)
        {
            throw new AgentExecutionException("provider_unavailable", e.Message, retryable: true, e);
        }

        var input = response.Usage?.InputTokenCount ?? 0;
        var output = response.Usage?.OutputTokenCount ?? 0;
        var cost = pricing.CurrentValue.CostOf(agent.Model, input, output);
        return new AgentRunResult(response.Text, new UsageDelta(input, output, cost, ApiCalls: 1));
    }
}
