using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Apex.Agents.Tests.Contracts;

/// <summary>
/// A model that always uses its whole output cap and reports a quarter of the prompt's characters as input, asks
/// for the <c>lookup</c> tool for <paramref name="toolRounds"/> rounds, and counts every request that reaches it.
/// </summary>
internal sealed class CountingChatClient(int toolRounds = 0) : IChatClient
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public bool ReportUsage { get; init; } = true;

    public Exception? FailWith { get; init; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        var list = messages.ToList();
        Interlocked.Increment(ref _calls);
        if (FailWith is { } failure)
        {
            throw failure;
        }
        var round = list.Count(m => m.Role == ChatRole.Tool);
        ChatMessage reply = round < toolRounds
            ? new(ChatRole.Assistant, [new FunctionCallContent($"call{round}", "lookup", new Dictionary<string, object?> { ["round"] = round })])
            : new(ChatRole.Assistant, "done");
        return new ChatResponse(reply) { Usage = ReportUsage ? UsageOf(list, options) : null };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        var list = messages.ToList();
        Interlocked.Increment(ref _calls);
        if (FailWith is { } failure)
        {
            throw failure;
        }
        yield return new ChatResponseUpdate(ChatRole.Assistant, "do");
        yield return new ChatResponseUpdate(ChatRole.Assistant, "ne");
        if (ReportUsage)
        {
            yield return new ChatResponseUpdate { Role = ChatRole.Assistant, Contents = [new UsageContent(UsageOf(list, options))] };
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    public static long InputTokensOf(IEnumerable<ChatMessage> messages) => messages.Sum(m => (long)m.Text.Length) / 4;

    private static UsageDetails UsageOf(List<ChatMessage> messages, ChatOptions? options)
    {
        var input = InputTokensOf(messages);
        long output = options?.MaxOutputTokens ?? 1024;
        return new UsageDetails { InputTokenCount = input, OutputTokenCount = output, TotalTokenCount = input + output };
    }
}
