using System.Text;
using System.Text.Json;
using Apex.Agents.Contracts;
using Apex.Agents.Pricing;
using Apex.Agents.Simulated;
using Apex.Core.Events;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Apex.Agents.Runtime;

/// <summary>
/// Runs one attempt of a task on its agent: system prompt + instruction → the provider's streaming chat → output,
/// with every piece of output published live (<see cref="EventTypes.OutputDelta"/>) and what each model spent
/// recorded.
/// </summary>
public sealed class AgentRunner(
    IChatClientProvider clients,
    IOptionsMonitor<PricingOptions> pricing,
    IOptionsMonitor<ContractOptions> contracts,
    TimeProvider timeProvider)
{
    /// <summary>Runs <paramref name="run"/>; live events go to <paramref name="bus"/>.</summary>
    /// <exception cref="AgentExecutionException">The provider failed, or a contract stopped the attempt; the code says how.</exception>
    public async Task<AgentRunResult> RunAsync(AgentRun run, IEventBus bus, CancellationToken cancellationToken = default)
    {
        var agent = run.Agent;
        var recorder = new UsageRecordingChatClient(clients.GetClient(agent.Provider, agent.Model), agent.Provider, agent.Model, pricing.CurrentValue);
        var live = new LiveTaskEvents(bus, run, timeProvider);
        // Every call reserves its worst case against the task's contract first and settles what it really spent after;
        // a call that does not fit is never sent.
        var meter = new ContractMeter(run.Limits, run.UsedBefore, agent.Model, pricing.CurrentValue, contracts.CurrentValue, (warning, _) =>
        {
            live.Publish(EventTypes.ContractWarning, new ContractWarningData(run.Attempt, JsonNamingPolicy.SnakeCaseLower.ConvertName(warning.Dimension.ToString()),
                warning.ThresholdPercent, warning.Used, warning.Limit), CoreJsonContext.Default.ContractWarningData);
            return ValueTask.CompletedTask;
        });
        var client = new MeteredChatClient(recorder, meter);
        List<ChatMessage> messages = string.IsNullOrWhiteSpace(agent.SystemPrompt)
            ? [new(ChatRole.User, run.Instruction)]
            : [new(ChatRole.System, agent.SystemPrompt), new(ChatRole.User, run.Instruction)];

        var output = new StringBuilder();
        try
        {
            // A one-piece answer publishes no delta: its output arrives with the task's terminal event anyway. The
            // first piece is held until a second one shows the answer is really streaming.
            string? held = null;
            var streaming = false;
            await foreach (var update in client.GetStreamingResponseAsync(messages, new ChatOptions { ModelId = agent.Model }, cancellationToken))
            {
                var text = update.Text;
                if (string.IsNullOrEmpty(text))
                {
                    continue;
                }
                output.Append(text);
                if (!streaming && held is null)
                {
                    held = text;
                    continue;
                }
                if (held is not null)
                {
                    live.Publish(EventTypes.OutputDelta, new OutputDeltaData(run.Attempt, held), CoreJsonContext.Default.OutputDeltaData);
                    held = null;
                }
                streaming = true;
                live.Publish(EventTypes.OutputDelta, new OutputDeltaData(run.Attempt, text), CoreJsonContext.Default.OutputDeltaData);
            }
        }
        catch (SimulatedProviderException e)
        {
            throw new AgentExecutionException("provider_error", e.Message, retryable: false, e) { Usage = recorder.Total, Calls = recorder.Calls };
        }
        catch (HttpRequestException e)
        {
            throw new AgentExecutionException("provider_unavailable", e.Message, retryable: true, e) { Usage = recorder.Total, Calls = recorder.Calls };
        }
        catch (AgentExecutionException e)
        {
            e.Usage = recorder.Total;
            e.Calls = recorder.Calls;
            throw;
        }
        return new AgentRunResult(output.ToString(), recorder.Total, recorder.Calls);
    }
}
