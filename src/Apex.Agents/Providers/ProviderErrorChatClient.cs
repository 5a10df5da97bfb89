using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Apex.Agents.Runtime;
using Microsoft.Extensions.AI;

namespace Apex.Agents.Providers;

/// <summary>
/// Bounds each attempt by the provider's timeout and turns whatever the provider's SDK throws into an
/// <see cref="AgentExecutionException"/> with a <see cref="ProviderErrorCodes">stable code</see>. Messages carry the
/// provider's own explanation with the API key blanked out; the SDK exception is kept as inner only where its text
/// cannot echo a request header back.
/// </summary>
internal sealed class ProviderErrorChatClient(IChatClient inner, string provider, TimeSpan timeout, string? apiKey) : DelegatingChatClient(inner)
{
    private const int MaxDetailLength = 300;

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var call = new ProviderCall();
        ProviderCall.Current = call;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await base.GetResponseAsync(messages, options, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (Map(e, call, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var call = new ProviderCall();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ProviderCall.Current = call;
        var updates = base.GetStreamingResponseAsync(messages, options, deadline.Token).GetAsyncEnumerator(deadline.Token);
        await using (updates.ConfigureAwait(false))
        {
            while (true)
            {
                // Set again each step: an async iterator's body does not keep async-local changes between MoveNexts.
                ProviderCall.Current = call;
                deadline.CancelAfter(timeout);
                bool more;
                try
                {
                    more = await updates.MoveNextAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (Map(e, call, cancellationToken) is { } mapped)
                {
                    throw mapped;
                }
                deadline.CancelAfter(Timeout.InfiniteTimeSpan);
                if (!more)
                {
                    yield break;
                }
                yield return updates.Current;
            }
        }
    }

    /// <summary>The mapped failure, or null to let <paramref name="e"/> through (the caller cancelled, or it is a bug).</summary>
    private AgentExecutionException? Map(Exception e, ProviderCall call, CancellationToken callerToken)
    {
        if (callerToken.IsCancellationRequested || e is AgentExecutionException)
        {
            return null;
        }
        if (call.Status is { } status && !IsSuccess(status))
        {
            return MapStatus(e, status, call.RetryAfter);
        }
        if (Has<OperationCanceledException>(e) || Has<TimeoutException>(e))
        {
            return new AgentExecutionException(ProviderErrorCodes.Timeout,
                $"Provider '{provider}' did not answer within {timeout.TotalSeconds:0.###} s.", retryable: true);
        }
        if (call.Status is null && (Has<HttpRequestException>(e) || Has<SocketException>(e) || Has<IOException>(e)))
        {
            return new AgentExecutionException(ProviderErrorCodes.Unavailable,
                $"Provider '{provider}' could not be reached: {Detail(e)}", retryable: true, e);
        }
        if (call.Status is not null && IsUnreadableBody(e))
        {
            return new AgentExecutionException(ProviderErrorCodes.BadResponse,
                $"Provider '{provider}' answered with a body its client could not read: {Detail(e)}", retryable: true, e);
        }
        return null;
    }

    private AgentExecutionException MapStatus(Exception e, HttpStatusCode status, TimeSpan? retryAfter)
    {
        var code = (int)status;
        var (errorCode, retryable) = code switch
        {
            429 => (ProviderErrorCodes.RateLimited, true),
            401 or 403 => (ProviderErrorCodes.AuthFailed, false),
            408 => (ProviderErrorCodes.Timeout, true),
            >= 500 => (ProviderErrorCodes.Unavailable, true),
            _ => (ProviderErrorCodes.BadRequest, false),
        };
        return new AgentExecutionException(errorCode, $"Provider '{provider}' answered HTTP {code}: {Detail(e)}", retryable)
        {
            RetryAfter = retryAfter,
        };
    }

    /// <summary>
    /// Exceptions the SDKs raise while reading a body that arrived with a success status: JSON that does not parse,
    /// or parses into a shape the client rejects.
    /// </summary>
    private static bool IsUnreadableBody(Exception e) =>
        Has<JsonException>(e) || Has<FormatException>(e) || Has<InvalidDataException>(e) || Has<InvalidOperationException>(e)
        || Has<KeyNotFoundException>(e) || Has<Anthropic.Exceptions.AnthropicException>(e) || Has<OllamaSharp.Models.Exceptions.OllamaException>(e);

    private static bool IsSuccess(HttpStatusCode status) => (int)status is >= 200 and < 300;

    private static bool Has<T>(Exception e) where T : Exception
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            if (current is T)
            {
                return true;
            }
        }
        return false;
    }

    private string Detail(Exception e)
    {
        var message = e.Message.ReplaceLineEndings(" ").Trim();
        if (!string.IsNullOrEmpty(apiKey))
        {
            message = message.Replace(apiKey, "***", StringComparison.Ordinal);
        }
        return message.Length <= MaxDetailLength ? message : string.Concat(message.AsSpan(0, MaxDetailLength), "...");
    }
}
