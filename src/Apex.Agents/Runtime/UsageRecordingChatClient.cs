using System.Runtime.CompilerServices;
using Apex.Agents.Pricing;
using Apex.Core.Events;
using Microsoft.Extensions.AI;

namespace Apex.Agents.Runtime;

/// <summary>
/// Records what every call through it spends, by model: innermost in an attempt's pipeline, below function invocation
/// and the cascade, so each tool round and each model tried is one call.
/// </summary>
internal sealed class UsageRecordingChatClient(IChatClient inner, string provider, string model, PricingOptions pricing, AttemptCalls calls)
    : DelegatingChatClient(inner)
{
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
                var contents = update.Contents;
                for (var i = 0; i < contents.Count; i++) // an indexer: no enumerator to allocate for each streamed chunk
                {
                    var content = contents[i];
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
        calls.Add(new LlmCallUsage(provider, calledModel, input, output, pricing.CostOf(calledModel, input, output), 1));
    }
}
