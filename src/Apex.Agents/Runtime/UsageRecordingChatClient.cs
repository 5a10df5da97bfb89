using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Apex.Agents.Pricing;
using Apex.Core.Events;
using Microsoft.Extensions.AI;

namespace Apex.Agents.Runtime;

/// <summary>
/// Records what every call through it spends, by model: innermost in an attempt's pipeline, below function invocation
/// and the cascade, so each tool round and each model tried is one call.
/// </summary>
internal sealed class UsageRecordingChatClient(IChatClient inner, string provider, string model, PricingOptions pricing) : DelegatingChatClient(inner)
{
    private readonly ConcurrentDictionary<string, LlmCallUsage> _byModel = new(StringComparer.Ordinal);

    /// <summary>Per-model sums of the calls made so far.</summary>
    public IReadOnlyList<LlmCallUsage> Calls => [.. _byModel.Values];

    /// <summary>The sum of <see cref="Calls"/>.</summary>
    public UsageDelta Total => _byModel.Values.Aggregate(UsageDelta.None, (sum, c) =>
        new UsageDelta(sum.InputTokens + c.InputTokens, sum.OutputTokens + c.OutputTokens, sum.CostUsd + c.CostUsd, sum.ApiCalls + c.ApiCalls));

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var called = options?.ModelId ?? model;
        try
        {
            var response = await base.GetResponseAsync(messages, options, cancellationToken);
            Record(called, response.Usage);
            return response;
        }
        catch
        {
            // A call that was sent counts, whatever became of it.
            Record(called, null);
            throw;
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var called = options?.ModelId ?? model;
        UsageDetails? usage = null;
        var recorded = false;
        try
        {
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken))
            {
                foreach (var content in update.Contents)
                {
                    if (content is UsageContent u)
                    {
                        (usage ??= new UsageDetails()).Add(u.Details);
                    }
                }
                yield return update;
            }
            Record(called, usage);
            recorded = true;
        }
        finally
        {
            if (!recorded)
            {
                Record(called, usage);
            }
        }
    }

    private void Record(string calledModel, UsageDetails? usage)
    {
        var input = usage?.InputTokenCount ?? 0;
        var output = usage?.OutputTokenCount ?? 0;
        var cost = pricing.CostOf(calledModel, input, output);
        _byModel.AddOrUpdate(calledModel,
            _ => new LlmCallUsage(provider, calledModel, input, output, cost, 1),
            (_, c) => c with { InputTokens = c.InputTokens + input, OutputTokens = c.OutputTokens + output, CostUsd = c.CostUsd + cost, ApiCalls = c.ApiCalls + 1 });
    }
}
