using Microsoft.Extensions.AI;

namespace Apex.Redis.Tests.Budgets;

/// <summary>A model that always uses its whole output cap, reports a quarter of the prompt's characters as input, and counts its calls.</summary>
internal sealed class BigUsageChatClient : IChatClient
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        Interlocked.Increment(ref _calls);
        var input = messages.Sum(m => (long)m.Text.Length) / 4;
        long output = options?.MaxOutputTokens ?? 1024;
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, "done"))
        {
            Usage = new UsageDetails { InputTokenCount = input, OutputTokenCount = output, TotalTokenCount = input + output },
        };
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
