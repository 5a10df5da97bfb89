using System.Threading.Channels;
using Xunit;

namespace Apex.Redis.Tests.Events;

public sealed class CacheInvalidationTests
{
    private static CancellationToken Ct => RedisTestContext.Token;

    [Fact]
    public async Task Publish_ReachesSubscribersOfEveryServerInOrder()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var publisher = ctx.NewCacheInvalidation(ctx.Redis);
        var listener = ctx.NewCacheInvalidation(await ctx.ConnectOtherAsync());
        var keys = Channel.CreateUnbounded<string>();
        await using var subscription = await listener.SubscribeAsync(key => keys.Writer.TryWrite(key), Ct);

        await publisher.PublishAsync("task:1", Ct);
        await publisher.PublishAsync("agent:default/writer", Ct);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        Assert.Equal("task:1", await keys.Reader.ReadAsync(timeout.Token));
        Assert.Equal("agent:default/writer", await keys.Reader.ReadAsync(timeout.Token));
    }
}
