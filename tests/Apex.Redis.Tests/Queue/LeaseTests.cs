using Apex.Redis.Queue;
using Xunit;

namespace Apex.Redis.Tests.Queue;

public sealed class LeaseTests
{
    private static CancellationToken Ct => RedisTestContext.Token;

    [Fact]
    public async Task Extend_ByTheOwner_ResetsTheTtl()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var taskId = Guid.NewGuid();
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(taskId, 1)], Ct);
        Assert.Equal(AcquireResult.Ok, await ctx.Worker.AcquireAsync(taskId, 1, "w1", Ct));
        await ctx.Db.KeyExpireAsync(ctx.LeaseKey(taskId), TimeSpan.FromMilliseconds(500));

        var lost = await ctx.Worker.ExtendAsync([(taskId, 1)], "w1", Ct);

        Assert.Empty(lost);
        Assert.InRange((await ctx.Db.KeyTimeToLiveAsync(ctx.LeaseKey(taskId)))!.Value, TimeSpan.FromMilliseconds(1000), ctx.Options.LeaseTtl);
        Assert.Equal("1|w1", (string?)await ctx.Db.StringGetAsync(ctx.LeaseKey(taskId)));
    }

    [Fact]
    public async Task Extend_ByAnotherWorkerOrAttempt_ReportsThemLostAndLeavesTheLeaseAlone()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var held = Guid.NewGuid();
        var missing = Guid.NewGuid();
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(held, 2)], Ct);
        Assert.Equal(AcquireResult.Ok, await ctx.Worker.AcquireAsync(held, 2, "w1", Ct));

        var byOther = await ctx.Worker.ExtendAsync([(held, 2)], "w2", Ct);
        var mixed = await ctx.Worker.ExtendAsync([(held, 1), (held, 2), (missing, 1)], "w1", Ct);

        Assert.Equal([(held, 2)], byOther);
        Assert.Equal([(held, 1), (missing, 1)], mixed);
        Assert.Equal("2|w1", (string?)await ctx.Db.StringGetAsync(ctx.LeaseKey(held)));
        Assert.False(await ctx.Db.KeyExistsAsync(ctx.LeaseKey(missing)));
    }

    [Fact]
    public async Task Lease_NotExtended_ExpiresAfterItsTtlAndIsReportedLost()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var shortLease = new RedisOptions { Prefix = ctx.Prefix, LeaseTtl = TimeSpan.FromMilliseconds(300) };
        var worker = ctx.NewWorker(options: shortLease);
        var taskId = Guid.NewGuid();
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(taskId, 1)], Ct);
        Assert.Equal(AcquireResult.Ok, await worker.AcquireAsync(taskId, 1, "w1", Ct));
        var acquired = DateTime.UtcNow;
        Assert.Empty(await ctx.Dispatcher.LostLeasesAsync([(taskId, 1)], Ct));

        var expired = await TestMessages.EventuallyAsync(
            async () => (await ctx.Dispatcher.LostLeasesAsync([(taskId, 1)], Ct)).Count == 1, TimeSpan.FromSeconds(5), Ct);

        Assert.True(expired);
        Assert.True(DateTime.UtcNow - acquired >= TimeSpan.FromMilliseconds(250));
        Assert.Equal(AcquireResult.Lost, await worker.AcquireAsync(taskId, 1, "w1", Ct));
        Assert.Equal([(taskId, 1)], await worker.ExtendAsync([(taskId, 1)], "w1", Ct));
    }

    [Fact]
    public async Task LostLeases_ReportsMissingAndOtherAttempts_NotDispatchedHeldOrDone()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        Guid dispatched = Guid.NewGuid(), held = Guid.NewGuid(), done = Guid.NewGuid(), missing = Guid.NewGuid(), newer = Guid.NewGuid();
        await ctx.Dispatcher.DispatchAsync(
            [TestMessages.Work(dispatched, 1), TestMessages.Work(held, 1), TestMessages.Work(done, 1), TestMessages.Work(newer, 2)], Ct);
        Assert.Equal(AcquireResult.Ok, await ctx.Worker.AcquireAsync(held, 1, "w1", Ct));
        Assert.Equal(AcquireResult.Ok, await ctx.Worker.AcquireAsync(done, 1, "w1", Ct));
        await ctx.Worker.CompleteAsync("0-1", TestMessages.Result(done, 1, "w1"), Ct);

        var lost = await ctx.Dispatcher.LostLeasesAsync([(dispatched, 1), (held, 1), (done, 1), (missing, 1), (newer, 1)], Ct);

        Assert.Equal([(missing, 1), (newer, 1)], lost);
    }

    [Fact]
    public async Task LostLeases_ManyMoreThanOneMgetChunk_AreCheckedInOneCall()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var dispatched = Enumerable.Range(0, 1100).Select(_ => TestMessages.Work(Guid.NewGuid(), 1)).ToList();
        await ctx.Dispatcher.DispatchAsync(dispatched, Ct);
        var gone = Enumerable.Range(0, 7).Select(_ => (Guid.NewGuid(), 1)).ToList();

        var lost = await ctx.Dispatcher.LostLeasesAsync([.. dispatched.Select(m => (m.TaskId, m.Attempt)), .. gone], Ct);

        Assert.Equal(gone, lost);
    }

    [Fact]
    public async Task DropLease_DeletesOnlyTheGivenAttempt()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var taskId = Guid.NewGuid();
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(taskId, 12)], Ct);

        Assert.False(await ctx.Dispatcher.DropLeaseAsync(taskId, 1, Ct));
        Assert.True(await ctx.Db.KeyExistsAsync(ctx.LeaseKey(taskId)));
        Assert.True(await ctx.Dispatcher.DropLeaseAsync(taskId, 12, Ct));
        Assert.False(await ctx.Db.KeyExistsAsync(ctx.LeaseKey(taskId)));
        Assert.False(await ctx.Dispatcher.DropLeaseAsync(taskId, 12, Ct));
    }

    [Fact]
    public async Task DropLeases_InOneCall_DeletesOnlyTheGivenAttempts()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var (applied, moved, another) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(applied, 3), TestMessages.Work(moved, 13), TestMessages.Work(another, 1)], Ct);

        // 'moved' is at attempt 13 now: the applied result of its attempt 1 must not drop the new lease; 'gone' has none.
        await ctx.Dispatcher.DropLeasesAsync([(applied, 3), (moved, 1), (Guid.NewGuid(), 1)], Ct);

        Assert.False(await ctx.Db.KeyExistsAsync(ctx.LeaseKey(applied)));
        Assert.True(await ctx.Db.KeyExistsAsync(ctx.LeaseKey(moved)));
        Assert.True(await ctx.Db.KeyExistsAsync(ctx.LeaseKey(another)));
    }

    [Fact]
    public async Task DropAllLeases_DeletesWhateverAttemptTheTasksHold()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var (cancelled, running, other) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(cancelled, 2), TestMessages.Work(running, 7), TestMessages.Work(other, 1)], Ct);

        await ctx.Dispatcher.DropAllLeasesAsync([cancelled, running], Ct);

        Assert.False(await ctx.Db.KeyExistsAsync(ctx.LeaseKey(cancelled)));
        Assert.False(await ctx.Db.KeyExistsAsync(ctx.LeaseKey(running)));
        Assert.True(await ctx.Db.KeyExistsAsync(ctx.LeaseKey(other)));
    }

    [Fact]
    public async Task Complete_AfterTheLeaseMovedOn_StillReportsButLeavesTheNewLease()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var taskId = Guid.NewGuid();
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(taskId, 1)], Ct);
        var read = Assert.Single(await ctx.Worker.ReadWorkAsync("w1", 10, TimeSpan.FromSeconds(5), Ct));
        Assert.Equal(AcquireResult.Ok, await ctx.Worker.AcquireAsync(taskId, 1, "w1", Ct));
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(taskId, 2)], Ct);

        await ctx.Worker.CompleteAsync(read.EntryId, TestMessages.Result(taskId, 1, "w1"), Ct);

        Assert.Equal("2|dispatched", (string?)await ctx.Db.StringGetAsync(ctx.LeaseKey(taskId)));
        Assert.Equal(1, Assert.Single(await ctx.Dispatcher.ReadResultsAsync("api-1", 10, TimeSpan.FromSeconds(5), Ct)).Message.Attempt);
    }
}
