using Apex.Contracts.Tasks;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Apex.Engine.Dispatch;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Apex.Server.Tests.Dispatch;

/// <summary>
/// The embedded queue drops tasks that ended without running (cancelled or skipped while queued) wherever they wait,
/// so they stop counting as queued work at once and are never handed to a worker.
/// </summary>
public sealed class InProcessTaskQueueTests
{
    private const string Agent = "default/default";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Remove_ReadyAndDelayedItems_LeaveEveryCountAtOnce()
    {
        using var queue = new InProcessTaskQueue(TimeProvider.System, _ => 4);
        var ready = Item();
        var delayed = Item(DateTimeOffset.UtcNow.AddHours(1));
        var kept = Item();
        queue.EnqueueRange([ready, delayed, kept]);
        Assert.Equal((3, 2, 1), (queue.Count, queue.ReadyCount, queue.DelayedCount));

        var removed = queue.Remove([ready.Id, delayed.Id, Guid.NewGuid()]);

        Assert.Equal(2, removed);
        Assert.Equal((1, 1, 0), (queue.Count, queue.ReadyCount, queue.DelayedCount));
        Assert.Equal(0, queue.Remove([ready.Id]));
    }

    [Fact]
    public async Task Remove_ReadyItem_IsNeverHandedOut()
    {
        using var queue = new InProcessTaskQueue(TimeProvider.System, _ => 4);
        var removed = Item(priority: 10);
        var kept = Item();
        queue.EnqueueRange([removed, kept]);

        queue.Remove([removed.Id]);

        Assert.Equal(kept.Id, (await queue.DequeueAsync(Ct)).Id);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task Remove_ItemParkedBehindABusyAgent_IsNotRunWhenTheAgentFreesUp()
    {
        using var queue = new InProcessTaskQueue(TimeProvider.System, _ => 1);
        var first = Item();
        var parked = Item();
        queue.EnqueueRange([first, parked]);
        Assert.Equal(first.Id, (await queue.DequeueAsync(Ct)).Id);
        // The agent is at its cap: a worker looking for work parks the next item behind it, then gives up.
        using (var giveUp = new CancellationTokenSource())
        {
            var looking = queue.DequeueAsync(giveUp.Token).AsTask();
            await giveUp.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => looking);
        }
        Assert.Equal((1, 1), (queue.Count, queue.ReadyCount));

        Assert.Equal(1, queue.Remove([parked.Id]));

        Assert.Equal((0, 0), (queue.Count, queue.ReadyCount));
        var next = Item();
        queue.Enqueue(next);
        queue.Release(first.Agent);
        Assert.Equal(next.Id, (await queue.DequeueAsync(Ct)).Id);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task Remove_DelayedItemDispatchedAgainAsReady_RunsOnceAndLeavesNothingBehind()
    {
        using var queue = new InProcessTaskQueue(TimeProvider.System, _ => 4);
        var delayed = Item(DateTimeOffset.UtcNow.AddHours(1));
        queue.Enqueue(delayed);

        queue.Remove([delayed.Id]);
        queue.Enqueue(delayed with { RunAt = null }); // a manual retry of the cancelled task

        Assert.Equal((1, 1, 0), (queue.Count, queue.ReadyCount, queue.DelayedCount));
        Assert.Equal(delayed.Id, (await queue.DequeueAsync(Ct)).Id);
        Assert.Equal((0, 0, 0), (queue.Count, queue.ReadyCount, queue.DelayedCount));
    }

    [Fact]
    public void Remove_BeforeTheRetrysDelayedItemArrives_DropsThatItemWhenItComes()
    {
        // The executor commits a retry, a cancel commits and withdraws the task, then the retry's item is enqueued.
        using var queue = new InProcessTaskQueue(TimeProvider.System, _ => 4);
        var retry = Item(DateTimeOffset.UtcNow.AddMinutes(5));

        Assert.Equal(0, queue.Remove([retry.Id]));
        queue.Enqueue(retry);

        Assert.Equal((0, 0, 0), (queue.Count, queue.ReadyCount, queue.DelayedCount));
        // The mark is spent: the same task's next retry (after a manual retry ran and failed) waits as usual.
        queue.Enqueue(retry);
        Assert.Equal((1, 0, 1), (queue.Count, queue.ReadyCount, queue.DelayedCount));
    }

    [Fact]
    public async Task Remove_ThenAManualRetry_RunsTheTaskAndClearsTheMark()
    {
        using var queue = new InProcessTaskQueue(TimeProvider.System, _ => 4);
        var task = Item();

        queue.Remove([task.Id]); // cancelled while running: nothing held
        queue.Enqueue(task); // retried by hand, runnable at once

        Assert.Equal(task.Id, (await queue.DequeueAsync(Ct)).Id);
        queue.Enqueue(task with { RunAt = DateTimeOffset.UtcNow.AddMinutes(5) }); // its own retry after failing again
        Assert.Equal((1, 0, 1), (queue.Count, queue.ReadyCount, queue.DelayedCount));
    }

    [Fact]
    public void Remove_OlderThanTheHorizon_NoLongerDropsADelayedItem()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var queue = new InProcessTaskQueue(time, _ => 4);
        var task = Item(time.GetUtcNow().AddHours(1));

        queue.Remove([task.Id]);
        time.Advance(InProcessTaskQueue.WithdrawnHorizon);
        queue.Enqueue(task);

        Assert.Equal((1, 0, 1), (queue.Count, queue.ReadyCount, queue.DelayedCount));
    }

    [Fact]
    public async Task TenantCap_ParksItsItemsAcrossAgents_UntilOneOfItsRunsEnds_AndOtherTenantsGoOn()
    {
        using var queue = new InProcessTaskQueue(TimeProvider.System, _ => 4, tenant => tenant == "acme" ? 1 : int.MaxValue);
        var first = Item() with { Agent = "acme/writer" };
        var sameTenant = Item() with { Agent = "acme/reviewer" };
        var other = Item() with { Agent = "beta/writer" };
        queue.EnqueueRange([first, sameTenant, other]);

        Assert.Equal(first.Id, (await queue.DequeueAsync(Ct)).Id);
        // acme is at its cap of one run: its next item (another agent) waits, beta's goes first.
        Assert.Equal(other.Id, (await queue.DequeueAsync(Ct)).Id);
        var waiting = queue.DequeueAsync(Ct).AsTask();
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, queue.ReadyCount);

        queue.Release(first.Agent);

        Assert.Equal(sameTenant.Id, (await waiting.WaitAsync(TimeSpan.FromSeconds(5), Ct)).Id);
    }

    [Fact]
    public async Task Reconsider_AfterACapIsRaised_StartsTheParkedItems()
    {
        var cap = 1;
        using var queue = new InProcessTaskQueue(TimeProvider.System, _ => 4, _ => cap);
        var first = Item() with { Agent = "acme/writer" };
        var parked = Item() with { Agent = "acme/writer" };
        queue.EnqueueRange([first, parked]);
        Assert.Equal(first.Id, (await queue.DequeueAsync(Ct)).Id);
        var waiting = queue.DequeueAsync(Ct).AsTask();
        Assert.False(waiting.IsCompleted);

        cap = 2;
        queue.Reconsider();

        Assert.Equal(parked.Id, (await waiting.WaitAsync(TimeSpan.FromSeconds(5), Ct)).Id);
    }

    [Fact]
    public async Task TryReserve_WithAWaitingWorker_StartHandsItTheClaimedTask()
    {
        using var queue = new InProcessTaskQueue(TimeProvider.System, _ => 4);
        var waiting = queue.DequeueAsync(Ct).AsTask();
        var item = Item();

        Assert.True(queue.TryReserve(item));
        Assert.False(waiting.IsCompleted); // reserved, not handed out before the write commits
        var claimed = Claimed(item);
        Assert.True(queue.Start(item, claimed));

        Assert.Equal(item.Id, (await waiting.WaitAsync(TimeSpan.FromSeconds(5), Ct)).Id);
        Assert.Same(claimed, queue.TakeStarted(item.Id));
        Assert.Null(queue.TakeStarted(item.Id));
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void TryReserve_WithoutAWaitingWorker_IsRefused()
    {
        using var queue = new InProcessTaskQueue(TimeProvider.System, _ => 4);

        Assert.False(queue.TryReserve(Item()));
    }

    [Fact]
    public void TryReserve_ADelayedItem_IsRefused()
    {
        using var queue = new InProcessTaskQueue(TimeProvider.System, _ => 4);
        _ = queue.DequeueAsync(Ct);

        Assert.False(queue.TryReserve(Item(DateTimeOffset.UtcNow.AddMinutes(1))));
    }

    [Fact]
    public async Task TryReserve_TakesTheAgentSlot_AndIsRefusedAtTheAgentCap()
    {
        using var queue = new InProcessTaskQueue(TimeProvider.System, _ => 1);
        var first = queue.DequeueAsync(Ct).AsTask();
        var second = queue.DequeueAsync(Ct).AsTask();
        var reserved = Item();

        Assert.True(queue.TryReserve(reserved));
        Assert.False(queue.TryReserve(Item())); // one worker still waits, but the agent's only slot is reserved
        var queued = Item();
        queue.Enqueue(queued); // parked behind the reservation, like behind a running item
        Assert.True(queue.Start(reserved, Claimed(reserved)));
        Assert.Equal(reserved.Id, (await first.WaitAsync(TimeSpan.FromSeconds(5), Ct)).Id);
        Assert.False(second.IsCompleted);

        queue.Release(reserved.Agent);

        Assert.Equal(queued.Id, (await second.WaitAsync(TimeSpan.FromSeconds(5), Ct)).Id);
    }

    [Fact]
    public async Task Unreserve_GivesTheWorkerAndTheSlotBack()
    {
        using var queue = new InProcessTaskQueue(TimeProvider.System, _ => 1);
        var waiting = queue.DequeueAsync(Ct).AsTask();
        var reserved = Item();
        Assert.True(queue.TryReserve(reserved));
        var queued = Item();
        queue.Enqueue(queued);
        Assert.False(waiting.IsCompleted);

        queue.Unreserve(reserved);

        Assert.Equal(queued.Id, (await waiting.WaitAsync(TimeSpan.FromSeconds(5), Ct)).Id);
        Assert.Null(queue.TakeStarted(queued.Id));
        Assert.False(queue.Start(reserved, Claimed(reserved))); // no reservation left to start
    }

    [Fact]
    public async Task Start_AfterTheWorkerStoppedWaiting_ReturnsFalseAndFreesTheSlot()
    {
        using var queue = new InProcessTaskQueue(TimeProvider.System, _ => 1);
        using var stopping = new CancellationTokenSource();
        var stopped = queue.DequeueAsync(stopping.Token).AsTask();
        var reserved = Item();
        Assert.True(queue.TryReserve(reserved));
        await stopping.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stopped);

        Assert.False(queue.Start(reserved, Claimed(reserved)));

        var next = Item();
        queue.Enqueue(next);
        Assert.Equal(next.Id, (await queue.DequeueAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(5), Ct)).Id);
    }

    private static DispatchItem Item(DateTimeOffset? runAt = null, int priority = 0) => new(Guid.NewGuid(), priority, 0, Agent, runAt);

    private static TaskRecord Claimed(DispatchItem item) => new()
    {
        TenantId = "default",
        Id = item.Id,
        Name = "t",
        Instruction = "Do it.",
        Agent = "default",
        Status = TaskState.Running,
        Attempt = 1,
        Limits = new TaskLimits(),
    };
}
