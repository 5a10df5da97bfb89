using System.Runtime.CompilerServices;
using Apex.Agents.Runtime;
using Microsoft.Extensions.AI;
using Polly;
using Polly.CircuitBreaker;

namespace Apex.Agents.Providers;

/// <summary>
/// Runs each attempt through the provider's rate limiter and resilience pipeline. A streaming call is retried only
/// until its first update arrives; after that the caller has seen output and a retry would repeat it.
/// </summary>
internal sealed class ResilientChatClient(IChatClient inner, string provider, ResiliencePipeline pipeline, IProviderRateLimiter rateLimiter)
    : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var tokens = EstimateTokens(list, options);
        try
        {
            return await pipeline.ExecuteAsync(async token =>
            {
                await rateLimiter.AcquireAsync(provider, tokens, token).ConfigureAwait(false);
                return await base.GetResponseAsync(list, options, token).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (BrokenCircuitException e)
        {
            throw CircuitOpen(e);
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var tokens = EstimateTokens(list, options);
        IAsyncEnumerator<ChatResponseUpdate>? updates = null;
        bool any;
        try
        {
            (updates, any) = await pipeline.ExecuteAsync(async token =>
            {
                await rateLimiter.AcquireAsync(provider, tokens, token).ConfigureAwait(false);
                // The enumerator outlives this attempt's callback, so it takes the caller's token, not the pipeline's.
                var attempt = base.GetStreamingResponseAsync(list, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
                try
                {
                    return (attempt, await attempt.MoveNextAsync().ConfigureAwait(false));
                }
                catch
                {
                    await attempt.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (BrokenCircuitException e)
        {
            throw CircuitOpen(e);
        }
        await using (updates.ConfigureAwait(false))
        {
            while (any)
            {
                yield return updates.Current;
                any = await updates.MoveNextAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>About four characters a token for the prompt, plus the output the call may produce.</summary>
    private static int EstimateTokens(IReadOnlyList<ChatMessage> messages, ChatOptions? options)
    {
        long characters = 0;
        foreach (var message in messages)
        {
            characters += message.Text.Length;
        }
        return (int)Math.Min(int.MaxValue, ((characters + 3) / 4) + (options?.MaxOutputTokens ?? 0));
    }

    private AgentExecutionException CircuitOpen(BrokenCircuitException e) =>
        new(ProviderErrorCodes.CircuitOpen, $"Provider '{provider}' failed repeatedly and is not being called for now.", retryable: true, e)
        {
            RetryAfter = e.RetryAfter,
        };
}
