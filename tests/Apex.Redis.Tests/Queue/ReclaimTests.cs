using Apex.Redis.Queue;
using Xunit;

namespace Apex.Redis.Tests.Queue;

/// <summary>Step 7 of the protocol: entries a dead consumer left pending are claimed with XAUTOCLAIM.</summary>
public sealed class ReclaimTests
{
    private static CancellationToken Ct => RedisTestContext.Token;

    [Fact]
    public async Task ReapAbandonedWork_DeletesIdleEntries_AndDropsLeasesNoWorkerTook()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        Guid neverAcquired = Guid.NewGuid(), running = Guid.NewGuid();
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(neverAcquired, 1), TestMessages.Work(running, 1)], Ct);
        Assert.Equal(2, (await ctx.Worker.ReadWorkAsync("dead-worker", 10, TimeSpan.FromSeconds(5), Ct)).Count);
        Assert.Equal(AcquireResult.Ok, await ctx.Worker.AcquireAsync(running, 1, "dead-worker", Ct));
        Assert.Empty(await ctx.Dispatcher.ReapAbandonedWorkAsync(TimeSpan.FromSeconds(30), Ct));

        IReadOnlyList<WorkMessage> reaped = [];
        Assert.True(await TestMessages.EventuallyAsync(
            async () => (reaped = await ctx.Dispatcher.ReapAbandonedWorkAsync(TimeSpan.FromMilliseconds(100), Ct)).Count > 0,
            TimeSpan.FromSeconds(5), Ct));

        Assert.Equal([neverAcquired, running], reaped.Select(m => m.TaskId));
        Assert.Equal(new QueueDepth(0, 0, 0, 0), await ctx.Dispatcher.QueueDepthAsync(Ct));
        Assert.Equal([(neverAcquired, 1)], await ctx.Dispatcher.LostLeasesAsync([(neverAcquired, 1), (running, 1)], Ct));
    }

    [Fact]
    public async Task ReapAbandonedWork_LeavesWorkNobodyReadYet()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(Guid.NewGuid(), 1)], Ct);

        Assert.Empty(await ctx.Dispatcher.ReapAbandonedWorkAsync(TimeSpan.Zero, Ct));
        Assert.Equal(new QueueDepth(1, 0, 0, 0), await ctx.Dispatcher.QueueDepthAsync(Ct));
    }

    [Fact]
    public async Task ClaimAbandonedResults_TakesOverWhatADeadServerLeftPending()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var taskId = Guid.NewGuid();
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(taskId, 1)], Ct);
        var work = Assert.Single(await ctx.Worker.ReadWorkAsync("w1", 10, TimeSpan.FromSeconds(5), Ct));
        await ctx.Worker.CompleteAsync(work.EntryId, TestMessages.Result(taskId, 1, "w1"), Ct);
        var deadServer = ctx.NewDispatcher(await ctx.ConnectOtherAsync());
        Assert.Single(await deadServer.ReadResultsAsync("api-dead", 10, TimeSpan.FromSeconds(5), Ct));
        Assert.Empty(await ctx.Dispatcher.ReadResultsAsync("api-live", 10, TimeSpan.Zero, Ct));
        Assert.Empty(await ctx.Dispatcher.ClaimAbandonedResultsAsync("api-live", TimeSpan.FromSeconds(30), Ct));

        IReadOnlyList<QueueEntry<ResultMessage>> claimed = [];
        Assert.True(await TestMessages.EventuallyAsync(
            async () => (claimed = await ctx.Dispatcher.ClaimAbandonedResultsAsync("api-live", TimeSpan.FromMilliseconds(100), Ct)).Count > 0,
            TimeSpan.FromSeconds(5), Ct));
        await ctx.Dispatcher.AckResultsAsync([.. claimed.Select(c => c.EntryId)], Ct);

        Assert.Equal(taskId, Assert.Single(claimed).Message.TaskId);
        Assert.Equal(new QueueDepth(0, 0, 0, 0), await ctx.Dispatcher.QueueDepthAsync(Ct));
    }
}
