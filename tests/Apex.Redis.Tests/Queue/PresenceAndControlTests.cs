using Apex.Redis.Queue;
using Xunit;

namespace Apex.Redis.Tests.Queue;

public sealed class PresenceAndControlTests
{
    private static CancellationToken Ct => RedisTestContext.Token;

    [Fact]
    public async Task HeartbeatPresence_ListsTheWorkerWithATtl()
    {
        await using var ctx = await RedisTestContext.CreateAsync();

        await ctx.Worker.HeartbeatPresenceAsync("w1", 8, 3, "dotnet", Ct);
        await ctx.Worker.HeartbeatPresenceAsync("w2", 4, 0, "python", Ct);

        var workers = (await ctx.Dispatcher.WorkersAsync(Ct)).OrderBy(w => w.WorkerId).ToList();
        Assert.Equal(["w1", "w2"], workers.Select(w => w.WorkerId));
        Assert.Equal((8, 3, "dotnet"), (workers[0].Capacity, workers[0].Busy, workers[0].Language));
        Assert.NotNull(workers[0].StartedAt);
        Assert.InRange((await ctx.Db.KeyTimeToLiveAsync(ctx.Key("worker:w1")))!.Value, TimeSpan.FromMilliseconds(1), ctx.Options.LeaseTtl);
    }

    [Fact]
    public async Task Presence_NotRefreshed_Disappears()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var worker = ctx.NewWorker(options: new RedisOptions { Prefix = ctx.Prefix, LeaseTtl = TimeSpan.FromMilliseconds(200) });

        await worker.HeartbeatPresenceAsync("w1", 1, 0, "dotnet", Ct);

        Assert.True(await TestMessages.EventuallyAsync(async () => (await ctx.Dispatcher.WorkersAsync(Ct)).Count == 0, TimeSpan.FromSeconds(5), Ct));
    }

    [Fact]
    public async Task PublishCancel_ReachesASubscribedWorkerOnAnotherConnection()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var worker = ctx.NewWorker(await ctx.ConnectOtherAsync());
        var taskId = Guid.NewGuid();
        var received = new TaskCompletionSource<(Guid, int)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var subscription = await worker.SubscribeCancelsAsync((task, attempt) => received.TrySetResult((task, attempt)), Ct);

        await ctx.Dispatcher.PublishCancelAsync(taskId, 3, Ct);

        Assert.Equal((taskId, 3), await received.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct));
    }

    [Fact]
    public async Task PublishCancel_WireFormatIsThePagesJson()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var queue = await ctx.Redis.GetSubscriber().SubscribeAsync(StackExchange.Redis.RedisChannel.Literal(ctx.Prefix + ":control"));
        queue.OnMessage(m => received.TrySetResult((string)m.Message!));
        var taskId = Guid.NewGuid();

        await ctx.Dispatcher.PublishCancelAsync(taskId, 2, Ct);

        Assert.Equal($$"""{"type":"cancel","task_id":"{{taskId:D}}","attempt":2}""", await received.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        await queue.UnsubscribeAsync();
    }
}
