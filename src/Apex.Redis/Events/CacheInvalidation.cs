using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Apex.Redis.Events;

/// <summary>
/// Tells every server to forget a cached key, on channel <c>{prefix}:cache:invalidate</c> (the seed's event-based
/// invalidation). A server also hears its own messages; forgetting a key twice is harmless.
/// </summary>
public sealed class CacheInvalidation(IConnectionMultiplexer redis, IOptions<RedisOptions> options, ILogger<CacheInvalidation> logger)
{
    private readonly RedisChannel _channel = new RedisKeys(options.Value.Prefix).CacheInvalidate;

    /// <summary>Publishes the invalidation of <paramref name="key"/>.</summary>
    public async Task PublishAsync(string key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await redis.GetSubscriber().PublishAsync(_channel, key);
    }

    /// <summary>Calls <paramref name="onInvalidate"/> with each invalidated key, in order, until the handle is disposed.</summary>
    public async Task<IAsyncDisposable> SubscribeAsync(Action<string> onInvalidate, CancellationToken cancellationToken = default)
    {
        var queue = await redis.GetSubscriber().SubscribeAsync(_channel).WaitAsync(cancellationToken);
        queue.OnMessage(message =>
        {
            try
            {
                onInvalidate((string)message.Message!);
            }
            catch (Exception e)
            {
                logger.HandlerFailed(e, _channel.ToString());
            }
        });
        return new ChannelSubscription(queue);
    }
}
