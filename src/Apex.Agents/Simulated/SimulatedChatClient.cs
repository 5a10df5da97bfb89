using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Apex.Agents.Simulated;

/// <summary>
/// A deterministic stand-in for an LLM: the answer is derived from the prompt, token counts from text length,
/// latency from <see cref="SimulatedOptions"/>. Every answer starts with <c>[simulated]</c> so it is never mistaken
/// for a model's. Directives in the prompt drive tests and examples: <c>[[simulate:error]]</c> fails the call (after its latency, as a real provider would),
/// <c>[[simulate:delay=MS]]</c> sets the latency of the call.
/// </summary>
public sealed partial class SimulatedChatClient(SimulatedOptions options, string model, TimeProvider timeProvider) : IChatClient
{
    /// <summary>Provider name.</summary>
    public const string ProviderName = "simulated";

    /// <summary>Prefix of every answer.</summary>
    public const string Marker = "[simulated]";

    private static readonly string[] Openers =
    [
        "Key finding", "Observation", "Summary", "Next step", "Risk", "Recommendation", "Evidence", "Assumption",
    ];

    private static readonly string[] Words =
    [
        "throughput", "latency", "agents", "contracts", "budget", "routing", "cascade", "approval", "queue", "lease",
        "durable", "event", "schema", "cost", "tokens", "retry", "backoff", "worker", "orchestrator", "dependency",
        "signal", "evidence", "market", "analysis", "report", "baseline", "variance", "forecast", "trend", "source",
    ];

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? [.. messages];
        var prompt = string.Concat(list.Select(m => m.Text));
        var seed = Fnv1a(prompt);
        await DelayAsync(LatencyOf(prompt, seed), cancellationToken);
        return Answer(list, prompt, seed);
    }

    /// <summary>
    /// Streams the answer the way a model writes: after half the call's latency the first piece, then a piece of a few
    /// words at a time over the other half. A call without latency answers in one piece.
    /// </summary>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? [.. messages];
        var prompt = string.Concat(list.Select(m => m.Text));
        var seed = Fnv1a(prompt);
        var latency = LatencyOf(prompt, seed);
        if (latency < 1)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var update in Answer(list, prompt, seed).ToChatResponseUpdates())
            {
                yield return update;
            }
            yield break;
        }
        // Each piece is due at a fixed offset from the call's start, as a remote model writes on its own clock: time the
        // caller spends between pieces, or a late timer on a busy machine, does not stretch the call past its latency.
        var begin = timeProvider.GetTimestamp();
        await DelayUntilAsync(begin, latency / 2, cancellationToken);
        var response = Answer(list, prompt, seed);
        var pieces = Pieces(response.Text);
        var responseId = Guid.NewGuid().ToString("N");
        for (var i = 0; i < pieces.Count; i++)
        {
            yield return new ChatResponseUpdate(ChatRole.Assistant, pieces[i]) { ModelId = model, ResponseId = responseId };
            await DelayUntilAsync(begin, (latency / 2) + (latency / 2 * (i + 1) / pieces.Count), cancellationToken);
        }
        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(response.Usage!)])
        {
            ModelId = model,
            ResponseId = responseId,
            FinishReason = ChatFinishReason.Stop,
        };
    }

    private ChatResponse Answer(IList<ChatMessage> list, string prompt, ulong seed)
    {
        if (prompt.Contains("[[simulate:error]]", StringComparison.Ordinal))
        {
            throw new SimulatedProviderException("The prompt asked the Simulated provider to fail ([[simulate:error]]).");
        }

        var lastUser = list.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? prompt;
        var text = Compose(lastUser, seed);
        var inputTokens = list.Sum(m => EstimateTokens(m.Text) + 4);
        var outputTokens = EstimateTokens(text);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            ModelId = model,
            FinishReason = ChatFinishReason.Stop,
            Usage = new UsageDetails
            {
                InputTokenCount = inputTokens,
                OutputTokenCount = outputTokens,
                TotalTokenCount = inputTokens + outputTokens,
            },
        };
    }

    /// <summary>Splits an answer into pieces of about four words, keeping every character.</summary>
    private static List<string> Pieces(string text)
    {
        var pieces = new List<string>();
        var start = 0;
        var words = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == ' ' && ++words % 4 == 0)
            {
                pieces.Add(text[start..(i + 1)]);
                start = i + 1;
            }
        }
        if (start < text.Length)
        {
            pieces.Add(text[start..]);
        }
        return pieces;
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata(ProviderName, null, model)
        : null;

    /// <inheritdoc />
    public void Dispose()
    {
    }

    /// <summary>About four characters a token, as common BPE tokenizers average on English text.</summary>
    public static int EstimateTokens(string? text) => string.IsNullOrEmpty(text) ? 0 : (text.Length + 3) / 4;

    private double LatencyOf(string prompt, ulong seed)
    {
        var directive = DelayDirective().Match(prompt);
        if (directive.Success)
        {
            return int.Parse(directive.Groups["ms"].ValueSpan, CultureInfo.InvariantCulture);
        }
        var latency = (double)options.LatencyMs;
        if (latency > 0 && options.LatencyJitter > 0)
        {
            var unit = (seed % 10_000) / 10_000.0;
            latency *= 1 + (options.LatencyJitter * ((2 * unit) - 1));
        }
        return latency;
    }

    /// <summary>Waits until <paramref name="dueMs"/> after <paramref name="begin"/> (a <see cref="TimeProvider"/> timestamp).</summary>
    private Task DelayUntilAsync(long begin, double dueMs, CancellationToken cancellationToken) =>
        DelayAsync(dueMs - timeProvider.GetElapsedTime(begin).TotalMilliseconds, cancellationToken);

    // Not async: a streamed answer waits once a piece, and a state machine for each wait was garbage for nothing.
    private Task DelayAsync(double latency, CancellationToken cancellationToken) =>
        latency >= 1 ? Task.Delay(TimeSpan.FromMilliseconds(latency), timeProvider, cancellationToken)
        : cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken)
        : Task.CompletedTask;

    private static string Compose(string instruction, ulong seed)
    {
        var subject = instruction.ReplaceLineEndings(" ").Trim();
        if (subject.Length > 160)
        {
            subject = string.Concat(subject.AsSpan(0, 157), "...");
        }
        var builder = new StringBuilder(512);
        builder.Append(Marker).Append(" Response to: ").Append(subject).Append('\n');
        var rng = new Random(unchecked((int)seed ^ (int)(seed >> 32)));
        var points = 2 + rng.Next(4);
        for (var i = 0; i < points; i++)
        {
            builder.Append("- ").Append(Openers[rng.Next(Openers.Length)]).Append(": ");
            var words = 6 + rng.Next(10);
            for (var w = 0; w < words; w++)
            {
                builder.Append(w == 0 ? "" : " ").Append(Words[rng.Next(Words.Length)]);
            }
            builder.Append(".\n");
        }
        return builder.ToString().TrimEnd();
    }

    private static ulong Fnv1a(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }
        return hash;
    }

    [GeneratedRegex(@"\[\[simulate:delay=(?<ms>\d{1,7})\]\]", RegexOptions.CultureInvariant)]
    private static partial Regex DelayDirective();
}
