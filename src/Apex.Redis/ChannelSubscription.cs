using StackExchange.Redis;

namespace Apex.Redis;

/// <summary>Ends a pub/sub subscription when disposed.</summary>
internal sealed class ChannelSubscription(ChannelMessageQueue queue) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => new(queue.UnsubscribeAsync());
}
