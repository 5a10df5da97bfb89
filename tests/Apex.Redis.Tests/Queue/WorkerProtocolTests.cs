using Apex.Redis.Queue;
using StackExchange.Redis;
using Xunit;

namespace Apex.Redis.Tests.Queue;

/// <summary>The happy path and the fencing cases of docs/worker-protocol.md, against a real Redis.</summary>
public sealed class WorkerProtocolTests
{
    private static CancellationToken Ct => RedisTestContext.Token;

    [Fact]
    public async Task DispatchReadAcquireComplete_ResultReachesOrchestrator_AndBothStreamsEndEmpty()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var taskId = Guid.NewGuid();
        var work = TestMessages.Work(taskId, 1);

        await ctx.Dispatcher.DispatchAsync([work], Ct);
        Assert.Equal("1|dispatched", (string?)await ctx.Db.StringGetAsync(ctx.LeaseKey(taskId)));

        var read = Assert.Single(await ctx.Worker.ReadWorkAsync("w1", 10, TimeSpan.FromSeconds(5), Ct));
        Assert.Equal(work, read.Message);
        Assert.Equal(AcquireResult.Ok, await ctx.Worker.AcquireAsync(taskId, 1, "w1", Ct));
        Assert.Equal("1|w1", (string?)await ctx.Db.StringGetAsync(ctx.LeaseKey(taskId)));

        var result = TestMessages.Result(taskId, 1, "w1");
        await ctx.Worker.CompleteAsync(read.EntryId, result, Ct);

        var received = Assert.Single(await ctx.Dispatcher.ReadResultsAsync("api-1", 10, TimeSpan.FromSeconds(5), Ct));
        Assert.Equal(result, received.Message);
        Assert.Empty(await ctx.Dispatcher.LostLeasesAsync([(taskId, 1)], Ct));
        await ctx.Dispatcher.AckResultsAsync([received.EntryId], Ct);
        Assert.True(await ctx.Dispatcher.DropLeaseAsync(taskId, 1, Ct));

        Assert.Equal(new QueueDepth(0, 0, 0, 0), await ctx.Dispatcher.QueueDepthAsync(Ct));
        Assert.False(await ctx.Db.KeyExistsAsync(ctx.LeaseKey(taskId)));
    }

    [Fact]
    public async Task Complete_MarksLeaseDone_SoTheSweepDoesNotRequeueBeforeTheResultIsApplied()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var taskId = Guid.NewGuid();
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(taskId, 1)], Ct);
        var read = Assert.Single(await ctx.Worker.ReadWorkAsync("w1", 10, TimeSpan.FromSeconds(5), Ct));
        Assert.Equal(AcquireResult.Ok, await ctx.Worker.AcquireAsync(taskId, 1, "w1", Ct));

        await ctx.Worker.CompleteAsync(read.EntryId, TestMessages.Result(taskId, 1, "w1"), Ct);

        Assert.Equal("1|done", (string?)await ctx.Db.StringGetAsync(ctx.LeaseKey(taskId)));
        Assert.Empty(await ctx.Dispatcher.LostLeasesAsync([(taskId, 1)], Ct));
        Assert.Equal(AcquireResult.Taken, await ctx.Worker.AcquireAsync(taskId, 1, "w2", Ct));
    }

    [Fact]
    public async Task Acquire_MessageDeliveredTwice_OneOkAndTheOtherTaken()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var taskId = Guid.NewGuid();
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(taskId, 1)], Ct);
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(taskId, 1)], Ct);

        var first = Assert.Single(await ctx.Worker.ReadWorkAsync("w1", 1, TimeSpan.FromSeconds(5), Ct));
        var second = Assert.Single(await ctx.Worker.ReadWorkAsync("w2", 1, TimeSpan.FromSeconds(5), Ct));
        var outcomes = await Task.WhenAll(
            ctx.Worker.AcquireAsync(first.Message.TaskId, first.Message.Attempt, "w1", Ct),
            ctx.Worker.AcquireAsync(second.Message.TaskId, second.Message.Attempt, "w2", Ct));

        Assert.Single(outcomes, o => o == AcquireResult.Ok);
        Assert.Single(outcomes, o => o == AcquireResult.Taken);
    }

    [Fact]
    public async Task Acquire_AgainByTheHolder_IsOk()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var taskId = Guid.NewGuid();
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(taskId, 4)], Ct);

        Assert.Equal(AcquireResult.Ok, await ctx.Worker.AcquireAsync(taskId, 4, "w1", Ct));
        Assert.Equal(AcquireResult.Ok, await ctx.Worker.AcquireAsync(taskId, 4, "w1", Ct));
    }

    [Fact]
    public async Task Acquire_StaleAttempt_ReturnsStaleAndLeavesTheLeaseAlone()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var taskId = Guid.NewGuid();
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(taskId, 1)], Ct);
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(taskId, 2)], Ct);

        Assert.Equal(AcquireResult.Stale, await ctx.Worker.AcquireAsync(taskId, 1, "w1", Ct));
        Assert.Equal("2|dispatched", (string?)await ctx.Db.StringGetAsync(ctx.LeaseKey(taskId)));
        Assert.Equal(AcquireResult.Ok, await ctx.Worker.AcquireAsync(taskId, 2, "w1", Ct));
    }

    [Fact]
    public async Task Acquire_LeaseMissing_ReturnsLost()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var taskId = Guid.NewGuid();
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(taskId, 1)], Ct);
        await ctx.Db.KeyDeleteAsync(ctx.LeaseKey(taskId));

        Assert.Equal(AcquireResult.Lost, await ctx.Worker.AcquireAsync(taskId, 1, "w1", Ct));
        Assert.False(await ctx.Db.KeyExistsAsync(ctx.LeaseKey(taskId)));
    }

    [Fact]
    public async Task AcquireBatch_AnswersEachAttemptInOrderInOneCall()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        Guid ok = Guid.NewGuid(), stale = Guid.NewGuid(), taken = Guid.NewGuid(), lost = Guid.NewGuid();
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(ok, 1), TestMessages.Work(stale, 2), TestMessages.Work(taken, 1)], Ct);
        Assert.Equal(AcquireResult.Ok, await ctx.Worker.AcquireAsync(taken, 1, "w2", Ct));

        var results = await ctx.Worker.AcquireAsync([(ok, 1), (stale, 1), (taken, 1), (lost, 1)], "w1", Ct);

        Assert.Equal([AcquireResult.Ok, AcquireResult.Stale, AcquireResult.Taken, AcquireResult.Lost], results);
        Assert.Equal("1|w1", (string?)await ctx.Db.StringGetAsync(ctx.LeaseKey(ok)));
        Assert.Equal("1|w2", (string?)await ctx.Db.StringGetAsync(ctx.LeaseKey(taken)));
    }

    [Fact]
    public async Task CompleteBatch_AddsEveryResultAndClearsEveryWorkEntry()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var dispatched = Enumerable.Range(0, 20).Select(_ => TestMessages.Work(Guid.NewGuid(), 1)).ToList();
        await ctx.Dispatcher.DispatchAsync(dispatched, Ct);
        var read = await ctx.Worker.ReadWorkAsync("w1", 100, TimeSpan.FromSeconds(5), Ct);
        Assert.All(await ctx.Worker.AcquireAsync([.. read.Select(e => (e.Message.TaskId, e.Message.Attempt))], "w1", Ct), r => Assert.Equal(AcquireResult.Ok, r));

        await ctx.Worker.CompleteAsync([.. read.Select(e => (e.EntryId, TestMessages.Result(e.Message.TaskId, 1, "w1")))], Ct);

        var results = await ctx.Dispatcher.ReadResultsAsync("api-1", 100, TimeSpan.FromSeconds(5), Ct);
        Assert.Equal(dispatched.Select(m => m.TaskId), results.Select(r => r.Message.TaskId));
        Assert.Equal(new QueueDepth(0, 0, 20, 20), await ctx.Dispatcher.QueueDepthAsync(Ct));
        Assert.All(await ctx.Db.StringGetAsync([.. dispatched.Select(m => ctx.LeaseKey(m.TaskId))]), v => Assert.Equal("1|done", (string?)v));
    }

    [Fact]
    public async Task Discard_AcknowledgesAndDeletesTheWorkEntry()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(Guid.NewGuid(), 1)], Ct);
        var read = Assert.Single(await ctx.Worker.ReadWorkAsync("w1", 10, TimeSpan.FromSeconds(5), Ct));
        Assert.Equal(1, (await ctx.Dispatcher.QueueDepthAsync(Ct)).WorkPending);

        await ctx.Worker.DiscardAsync(read.EntryId, Ct);

        Assert.Equal(new QueueDepth(0, 0, 0, 0), await ctx.Dispatcher.QueueDepthAsync(Ct));
    }

    [Fact]
    public async Task Dispatch_ABatch_EveryMessageReadOnceInOrder()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var batch = Enumerable.Range(0, 300).Select(i => TestMessages.Work(Guid.NewGuid(), i + 1)).ToList();

        await ctx.Dispatcher.DispatchAsync(batch, Ct);

        var read = new List<WorkMessage>();
        while (read.Count < batch.Count)
        {
            var page = await ctx.Worker.ReadWorkAsync("w1", 128, TimeSpan.FromSeconds(5), Ct);
            Assert.NotEmpty(page);
            read.AddRange(page.Select(e => e.Message));
        }
        Assert.Equal(batch, read);
        Assert.Empty(await ctx.Dispatcher.LostLeasesAsync([.. batch.Select(m => (m.TaskId, m.Attempt))], Ct));
        Assert.Equal(300, (await ctx.Dispatcher.QueueDepthAsync(Ct)).WorkPending);
    }

    [Fact]
    public async Task ReadWork_NothingQueued_ReturnsEmptyAfterTheBlockTime()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var started = DateTime.UtcNow;

        var read = await ctx.Worker.ReadWorkAsync("w1", 10, TimeSpan.FromMilliseconds(150), Ct);

        Assert.Empty(read);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(140), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task ReadWork_WhileWaiting_ReturnsWorkDispatchedMeanwhile()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var taskId = Guid.NewGuid();

        var reading = ctx.Worker.ReadWorkAsync("w1", 10, TimeSpan.FromSeconds(10), Ct);
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(taskId, 1)], Ct);

        Assert.Equal(taskId, Assert.Single(await reading).Message.TaskId);
    }

    [Fact]
    public async Task ReadWork_Blocking_ReturnsOnTheDispatchNotAtTheEndOfTheBlock()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var started = DateTime.UtcNow;

        await AssertReadTakesWorkDispatchedAfterAsync(ctx, ctx.Worker, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(300));

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30), "the read waited for its block time instead of the entry");
    }

    [Fact]
    public async Task ReadWork_BlockLongerThanOneRead_KeepsWaitingAcrossReads()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        // An async timeout of 400 ms makes each blocking read at most 200 ms: this read spans several.
        var endpoint = Environment.GetEnvironmentVariable("APEX_TEST_REDIS")!;
        var shortTimeout = ConfigurationOptions.Parse(endpoint);
        shortTimeout.AsyncTimeout = 400;
        var redis = await ConnectionMultiplexer.ConnectAsync(shortTimeout);
        await using var _ = redis;

        await AssertReadTakesWorkDispatchedAfterAsync(ctx, ctx.NewWorker(redis), TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(900));
    }

    /// <summary>A read of <paramref name="block"/> still waiting after <paramref name="delay"/> takes the work dispatched then.</summary>
    private static async Task AssertReadTakesWorkDispatchedAfterAsync(RedisTestContext ctx, RedisWorkerClient worker, TimeSpan block, TimeSpan delay)
    {
        var taskId = Guid.NewGuid();
        var reading = worker.ReadWorkAsync("w1", 10, block, Ct);
        await Task.Delay(delay, Ct);
        Assert.False(reading.IsCompleted);
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(taskId, 1)], Ct);

        Assert.Equal(taskId, Assert.Single(await reading).Message.TaskId);
    }

    [Fact]
    public async Task ReadWork_BlockedReadCancelled_ThrowsAndTheNextReadTakesTheWork()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var taskId = Guid.NewGuid();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var reading = ctx.Worker.ReadWorkAsync("w1", 10, TimeSpan.FromSeconds(60), stop.Token);
        await Task.Delay(300, Ct);
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading);
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(taskId, 1)], Ct);
        Assert.Equal(taskId, Assert.Single(await ctx.Worker.ReadWorkAsync("w1", 10, TimeSpan.FromSeconds(10), Ct)).Message.TaskId);
    }

    [Fact]
    public async Task ReadWork_StreamDeletedWhileBlocked_RecreatesTheGroupAndKeepsWaiting()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var taskId = Guid.NewGuid();

        var reading = ctx.Worker.ReadWorkAsync("w1", 10, TimeSpan.FromSeconds(60), Ct);
        await Task.Delay(300, Ct);
        await ctx.Db.KeyDeleteAsync(ctx.Key("work"));
        await Task.Delay(300, Ct);
        Assert.False(reading.IsCompleted);
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(taskId, 1)], Ct);

        Assert.Equal(taskId, Assert.Single(await reading).Message.TaskId);
    }

    [Fact]
    public async Task ReadWork_Polling_ReturnsWorkDispatchedMeanwhile()
    {
        await using var ctx = await RedisTestContext.CreateAsync(o => o.BlockingReads = false);
        var taskId = Guid.NewGuid();

        var reading = ctx.Worker.ReadWorkAsync("w1", 10, TimeSpan.FromSeconds(10), Ct);
        await Task.Delay(100, Ct);
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(taskId, 1)], Ct);

        Assert.Equal(taskId, Assert.Single(await reading).Message.TaskId);
        Assert.Empty(await ctx.Worker.ReadWorkAsync("w1", 10, TimeSpan.FromMilliseconds(50), Ct));
    }

    [Fact]
    public async Task ReadResults_MalformedEntry_IsDroppedAcknowledgedAndDeleted()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var taskId = Guid.NewGuid();
        await ctx.Dispatcher.QueueDepthAsync(Ct);
        await ctx.Db.StreamAddAsync(ctx.Key("results"), [new NameValueEntry("v", "1"), new NameValueEntry("task_id", "garbage")]);
        await ctx.Db.StreamAddAsync(ctx.Key("results"), TestMessages.Result(taskId, 1, "w1").ToEntries());

        var read = Assert.Single(await ctx.Dispatcher.ReadResultsAsync("api-1", 10, TimeSpan.FromSeconds(5), Ct));
        await ctx.Dispatcher.AckResultsAsync([read.EntryId], Ct);

        Assert.Equal(taskId, read.Message.TaskId);
        Assert.Equal(new QueueDepth(0, 0, 0, 0), await ctx.Dispatcher.QueueDepthAsync(Ct));
    }

    [Fact]
    public async Task ReadWork_AfterRedisLostTheStreamAndItsGroup_RecreatesTheGroup()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(Guid.NewGuid(), 1)], Ct);
        Assert.Single(await ctx.Worker.ReadWorkAsync("w1", 10, TimeSpan.FromSeconds(5), Ct));
        await ctx.Db.KeyDeleteAsync([ctx.Key("work"), ctx.Key("results")]);
        var taskId = Guid.NewGuid();

        await ctx.Dispatcher.DispatchAsync([TestMessages.Work(taskId, 1)], Ct);
        var read = await ctx.Worker.ReadWorkAsync("w1", 10, TimeSpan.FromSeconds(5), Ct);

        Assert.Equal(taskId, Assert.Single(read).Message.TaskId);
    }

    [Fact]
    public async Task WorkerIds_ThatCollideWithLeaseOwners_AreRejected()
    {
        await using var ctx = await RedisTestContext.CreateAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => ctx.Worker.AcquireAsync(Guid.NewGuid(), 1, "dispatched", Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => ctx.Worker.AcquireAsync(Guid.NewGuid(), 1, "done", Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => ctx.Worker.AcquireAsync(Guid.NewGuid(), 1, "a|b", Ct));
    }
}
