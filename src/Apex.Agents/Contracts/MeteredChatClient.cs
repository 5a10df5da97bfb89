using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.AI;

namespace Apex.Agents.Contracts;

/// <summary>
/// Wraps every request to the inner client in reserve → call → settle on a <see cref="ContractMeter"/>. Place it
/// directly around the provider's client, under <see cref="FunctionInvokingChatClient"/>, so that each tool round
/// (and each retry or routed model) is one metered call.
/// </summary>
/// <remarks>
/// Actual usage comes from <see cref="ChatResponse.Usage"/>, or from the <see cref="UsageContent"/> of a stream. A
/// count the provider does not report is estimated: input as reserved, output as a quarter of the characters
/// received. A call is priced by <c>ChatOptions.ModelId</c>, else by <see cref="ContractMeter.Model"/>.
/// </remarks>
public sealed class MeteredChatClient(IChatClient innerClient, ContractMeter meter) : DelegatingChatClient(innerClient)
{
    /// <inheritdoc />
    /// <exception cref="ContractViolationException">The call would break the contract; it was not made.</exception>
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyCollection<ChatMessage> ?? [.. messages];
        var reservation = await meter.ReserveAsync(Estimate(list, options), cancellationToken);
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(list, options, cancellationToken);
        }
        catch (Exception e)
        {
            // Settlement must happen even when the attempt is being cancelled, or the shared budget keeps the reservation.
            await meter.ReleaseAsync(reservation, WasSent(e), CancellationToken.None);
            throw;
        }
        await SettleAsync(reservation, response.Usage, response.Text.Length);
        return response;
    }

    /// <inheritdoc />
    /// <exception cref="ContractViolationException">The call would break the contract; it was not made.</exception>
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyCollection<ChatMessage> ?? [.. messages];
        var reservation = await meter.ReserveAsync(Estimate(list, options), cancellationToken);
        UsageDetails? usage = null;
        long outputChars = 0;
        var received = false;
        var closed = false;
        IAsyncEnumerator<ChatResponseUpdate>? updates = null;
        try
        {
            updates = base.GetStreamingResponseAsync(list, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
            while (true)
            {
                Exception? failure = null;
                var more = false;
                try
                {
                    more = await updates.MoveNextAsync();
                }
                catch (Exception e)
                {
                    failure = e;
                }
                if (failure is not null)
                {
                    closed = true;
                    await CloseBrokenAsync(reservation, usage, outputChars, received || WasSent(failure));
                    ExceptionDispatchInfo.Throw(failure);
                }
                if (!more)
                {
                    break;
                }
                received = true;
                var update = updates.Current;
                var contents = update.Contents;
                for (var i = 0; i < contents.Count; i++) // an indexer: no enumerator to allocate for each streamed chunk
                {
                    var content = contents[i];
                    switch (content)
                    {
                        case UsageContent u:
                            (usage ??= new()).Add(u.Details);
                            break;
                        case TextContent text:
                            outputChars += text.Text.Length;
                            break;
                    }
                }
                yield return update;
            }
            closed = true;
            await SettleAsync(reservation, usage, outputChars);
        }
        finally
        {
            if (!closed)
            {
                // The consumer stopped reading: the request was sent and may have been billed in full.
                await CloseBrokenAsync(reservation, usage, outputChars, requestSent: true);
            }
            if (updates is not null)
            {
                await updates.DisposeAsync();
            }
        }
    }

    private CallEstimate Estimate(IEnumerable<ChatMessage> messages, ChatOptions? options) =>
        CallEstimate.Of(messages, options, options?.ModelId ?? meter.Model, meter.DefaultMaxOutputTokens);

    private ValueTask SettleAsync(ContractReservation reservation, UsageDetails? usage, long outputChars) =>
        meter.SettleAsync(
            reservation,
            usage?.InputTokenCount ?? reservation.Estimate.InputTokens,
            usage?.OutputTokenCount ?? CallEstimate.TokensOf(outputChars),
            CancellationToken.None);

    private ValueTask CloseBrokenAsync(ContractReservation reservation, UsageDetails? usage, long outputChars, bool requestSent) =>
        usage is not null || outputChars > 0
            ? SettleAsync(reservation, usage, outputChars)
            : meter.ReleaseAsync(reservation, requestSent, CancellationToken.None);

    /// <summary>False only when the request provably never reached the provider.</summary>
    private static bool WasSent(Exception e) =>
        e is not HttpRequestException
        {
            HttpRequestError: HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError
                or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError,
        };
}
