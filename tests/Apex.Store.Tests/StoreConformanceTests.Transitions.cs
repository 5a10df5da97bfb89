using Apex.Contracts.Tasks;
using Apex.Core.Errors;
using Apex.Core.Events;
using Apex.Core.Storage;
using Xunit;

namespace Apex.Store.Tests;

public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task Claim_QueuedTask_StartsAttemptOne()
    {
        var task = await SubmitAsync();
        Time.Advance(TimeSpan.FromMilliseconds(250));

        var claimed = await ClaimAsync(task.Id);

        Assert.Equal(TaskState.Running, claimed.Status);
        Assert.Equal(1, claimed.Attempt);
        Assert.Equal(Time.GetUtcNow(), claimed.StartedAt);
        Assert.Equal(claimed, await RowAsync(task.Id));
        var started = (await EventsAsync(task.Id))[^1];
        Assert.Equal(EventTypes.TaskStarted, started.EventType);
        Assert.Equal(new TaskStartedData(1, Worker), Data(started, CoreJsonContext.Default.TaskStartedData));
    }

    [Fact]
    public async Task Claim_Twice_SecondGetsNothing()
    {
        var task = await SubmitAsync();

        var first = Store.ClaimAsync(task.Id, "a", Ct);
        var second = Store.ClaimAsync(task.Id, "b", Ct);
        var results = await Task.WhenAll(first, second);

        Assert.Single(results, r => r is not null);
        Assert.Single(await EventsAsync(task.Id), e => e.EventType == EventTypes.TaskStarted);
        Assert.Null(await Store.ClaimAsync(Guid.NewGuid(), "c", Ct));
    }

    [Fact]
    public async Task Complete_Succeeded_StoresOutputAndUsage()
    {
        var task = await SubmitAsync();
        await ClaimAsync(task.Id);
        Time.Advance(TimeSpan.FromSeconds(2));

        var outcome = await CompleteAsync(task.Id, 1, output: "42", usage: new UsageDelta(100, 20, 0.0123m, 2));

        Assert.True(outcome.Applied);
        Assert.Empty(outcome.Dispatch);
        Assert.Empty(outcome.CancelRunning);
        Assert.Empty(outcome.Withdrawn);
        var row = await RowAsync(task.Id);
        Assert.Equal(TaskState.Succeeded, row.Status);
        Assert.Equal("42", row.Output);
        Assert.Equal((100L, 20L, 0.0123m, 2), (row.InputTokens, row.OutputTokens, row.CostUsd, row.ApiCalls));
        Assert.Equal(Time.GetUtcNow(), row.FinishedAt);
        Assert.Null(row.ErrorCode);
        var events = await EventsAsync(task.Id);
        Assert.Equal([EventTypes.TaskCreated, EventTypes.TaskStarted, EventTypes.TaskSucceeded], Types(events));
        AssertFoldsToRow(row, events);
    }

    [Fact]
    public async Task Complete_RetryScheduled_RequeuesAtRetryTimeTruncatedToTheMillisecond()
    {
        var task = await SubmitAsync();
        await ClaimAsync(task.Id);
        var retryAt = Time.GetUtcNow().AddSeconds(5).AddTicks(7_654);

        var outcome = await CompleteAsync(task.Id, 1, AttemptOutcome.RetryScheduled, error: new TaskError("rate_limited", "429"),
            usage: new UsageDelta(5, 0, 0.001m, 1), retryAt: retryAt);

        var expectedRunAt = DateTimeOffset.FromUnixTimeMilliseconds(retryAt.ToUnixTimeMilliseconds());
        Assert.True(outcome.Applied);
        Assert.Equal(expectedRunAt, Assert.Single(outcome.Dispatch).RunAt);
        var row = await RowAsync(task.Id);
        Assert.Equal(TaskState.Queued, row.Status);
        Assert.Equal(expectedRunAt, row.RunAt);
        Assert.Equal(("rate_limited", "429"), (row.ErrorCode, row.ErrorMessage));
        Assert.Equal(0.001m, row.CostUsd);
        AssertFoldsToRow(row, await EventsAsync(task.Id));

        Assert.Empty(await Store.ClaimNextAsync(10, Worker, Ct));
        Time.Advance(TimeSpan.FromSeconds(5));
        var again = Assert.Single(await Store.ClaimNextAsync(10, Worker, Ct));
        Assert.Equal(2, again.Attempt);
        Assert.Null(again.RunAt);
    }

    [Fact]
    public async Task Complete_RetryScheduledOnLastAttempt_FailsTheTask()
    {
        var task = await SubmitAsync(Spec(maxAttempts: 1));
        await ClaimAsync(task.Id);

        var outcome = await CompleteAsync(task.Id, 1, AttemptOutcome.RetryScheduled, error: new TaskError("rate_limited", "429"),
            retryAt: Time.GetUtcNow().AddSeconds(1));

        Assert.True(outcome.Applied);
        Assert.Empty(outcome.Dispatch);
        var row = await RowAsync(task.Id);
        Assert.Equal(TaskState.Failed, row.Status);
        Assert.Equal("rate_limited", row.ErrorCode);
        Assert.Equal(EventTypes.TaskFailed, (await EventsAsync(task.Id))[^1].EventType);
    }

    [Fact]
    public async Task Complete_Failed_StoresError()
    {
        var task = await SubmitAsync();
        await ClaimAsync(task.Id);

        await CompleteAsync(task.Id, 1, AttemptOutcome.Failed, error: new TaskError("token_limit_exceeded", "Too many tokens."),
            usage: new UsageDelta(30_000, 0, 0.3m, 3));

        var row = await RowAsync(task.Id);
        Assert.Equal(TaskState.Failed, row.Status);
        Assert.Equal(("token_limit_exceeded", "Too many tokens."), (row.ErrorCode, row.ErrorMessage));
        Assert.Null(row.Output);
        Assert.Equal(30_000, row.InputTokens);
        var failed = (await EventsAsync(task.Id))[^1];
        Assert.Equal(EventTypes.TaskFailed, failed.EventType);
        Assert.Equal(new TaskEndedData(1, new TaskError("token_limit_exceeded", "Too many tokens."), new UsageDelta(30_000, 0, 0.3m, 3)),
            Data(failed, CoreJsonContext.Default.TaskEndedData));
    }

    [Fact]
    public async Task Complete_StaleAttempt_IsRecordedAndIgnoredButItsUsageCounts()
    {
        var task = await SubmitAsync();
        await ClaimAsync(task.Id);
        Assert.True(await Store.RequeueAsync(task.Id, 1, "lease_expired", Ct));
        await ClaimAsync(task.Id);

        var outcome = await CompleteAsync(task.Id, 1, output: "late", usage: new UsageDelta(10, 10, 0.5m, 1));

        Assert.False(outcome.Applied);
        Assert.Same(TransitionOutcome.Ignored, outcome);
        var row = await RowAsync(task.Id);
        Assert.Equal(TaskState.Running, row.Status);
        Assert.Equal(2, row.Attempt);
        Assert.Null(row.Output);
        Assert.Equal(0.5m, row.CostUsd);
        var events = await EventsAsync(task.Id);
        var ignored = events[^1];
        Assert.Equal(EventTypes.TaskResultIgnored, ignored.EventType);
        Assert.Equal(new TaskResultIgnoredData(1, "Succeeded", "The task is running at attempt 2.", new UsageDelta(10, 10, 0.5m, 1)),
            Data(ignored, CoreJsonContext.Default.TaskResultIgnoredData));
        AssertFoldsToRow(row, events);

        Assert.True((await CompleteAsync(task.Id, 2, output: "on time")).Applied);
        Assert.False((await CompleteAsync(task.Id, 2, output: "twice")).Applied);
        Assert.Single(await EventsAsync(task.Id), e => EventTypes.IsTerminal(e.EventType));
        Assert.Equal("on time", (await RowAsync(task.Id)).Output);
    }

    [Fact]
    public async Task Complete_UnknownOrOtherTenantTask_IsNotFound()
    {
        var task = await SubmitAsync(Spec(tenant: "acme"));
        await Store.ClaimAsync(task.Id, Worker, Ct);

        var unknown = await Assert.ThrowsAsync<ApexNotFoundException>(() => CompleteAsync(Guid.NewGuid(), 1));
        var otherTenant = await Assert.ThrowsAsync<ApexNotFoundException>(() => CompleteAsync(task.Id, 1));

        Assert.Equal("task_not_found", unknown.Code);
        Assert.Equal("task_not_found", otherTenant.Code);
        Assert.Equal(TaskState.Running, (await RowAsync(task.Id, "acme")).Status);
    }

    [Fact]
    public async Task CancelTask_Queued_CancelsAndSecondCancelConflicts()
    {
        var task = await SubmitAsync();

        var outcome = await Store.CancelTaskAsync(Tenant, task.Id, Ct);
        var again = await Assert.ThrowsAsync<ApexConflictException>(() => Store.CancelTaskAsync(Tenant, task.Id, Ct));

        Assert.True(outcome.Applied);
        Assert.Empty(outcome.CancelRunning);
        Assert.Equal([task.Id], outcome.Withdrawn);
        var row = await RowAsync(task.Id);
        Assert.Equal(TaskState.Cancelled, row.Status);
        Assert.Equal(("cancelled", "Cancelled by a user."), (row.ErrorCode, row.ErrorMessage));
        Assert.Equal("task_not_cancellable", again.Code);
        Assert.Null(await Store.ClaimAsync(task.Id, Worker, Ct));
        Assert.Equal("task_not_found", (await Assert.ThrowsAsync<ApexNotFoundException>(() => Store.CancelTaskAsync(Tenant, Guid.NewGuid(), Ct))).Code);
        Assert.Equal("task_not_found", (await Assert.ThrowsAsync<ApexNotFoundException>(() => Store.CancelTaskAsync("acme", task.Id, Ct))).Code);
    }

    [Fact]
    public async Task CancelTask_Running_AsksToStopTheExecutionAndIgnoresItsLateResult()
    {
        var task = await SubmitAsync();
        await ClaimAsync(task.Id);

        var outcome = await Store.CancelTaskAsync(Tenant, task.Id, Ct);
        var late = await CompleteAsync(task.Id, 1, usage: new UsageDelta(1, 1, 0.01m, 1));

        Assert.Equal([task.Id], outcome.CancelRunning);
        Assert.Empty(outcome.Withdrawn);
        Assert.False(late.Applied);
        var row = await RowAsync(task.Id);
        Assert.Equal(TaskState.Cancelled, row.Status);
        Assert.Equal(0.01m, row.CostUsd);
        AssertFoldsToRow(row, await EventsAsync(task.Id));
    }

    [Fact]
    public async Task CancelTask_WaitingForItsRetry_IsWithdrawnFromTheQueueAndNeverClaimed()
    {
        var task = await SubmitAsync();
        await ClaimAsync(task.Id);
        var retry = await CompleteAsync(task.Id, 1, AttemptOutcome.RetryScheduled, retryAt: Time.GetUtcNow().AddMinutes(5));
        Assert.Equal([task.Id], retry.Dispatch.Select(d => d.Id));
        Assert.Empty(retry.Withdrawn);

        var outcome = await Store.CancelTaskAsync(Tenant, task.Id, Ct);

        Assert.True(outcome.Applied);
        Assert.Empty(outcome.Dispatch);
        Assert.Empty(outcome.CancelRunning);
        Assert.Equal([task.Id], outcome.Withdrawn);
        var row = await RowAsync(task.Id);
        Assert.Equal((TaskState.Cancelled, 1), (row.Status, row.Attempt));
        Assert.Null(row.RunAt);
        Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Empty(await Store.ClaimNextAsync(10, Worker, Ct));
        Assert.Null(await Store.ClaimAsync(task.Id, Worker, Ct));
        var events = await EventsAsync(task.Id);
        Assert.Equal([EventTypes.TaskCreated, EventTypes.TaskStarted, EventTypes.TaskRetryScheduled, EventTypes.TaskCancelled], Types(events));
        AssertFoldsToRow(await RowAsync(task.Id), events);
    }

    [Fact]
    public async Task RetryTask_Failed_QueuesWithMoreAttempts()
    {
        var task = await SubmitAsync(Spec(maxAttempts: 1));
        await ClaimAsync(task.Id);
        await CompleteAsync(task.Id, 1, AttemptOutcome.Failed);

        var outcome = await Store.RetryTaskAsync(Tenant, task.Id, 2, Ct);

        Assert.Equal([task.Id], outcome.Dispatch.Select(d => d.Id));
        Assert.Empty(outcome.CancelRunning);
        Assert.Empty(outcome.Withdrawn);
        var row = await RowAsync(task.Id);
        Assert.Equal(TaskState.Queued, row.Status);
        Assert.Equal(3, row.MaxAttempts);
        Assert.Null(row.ErrorCode);
        Assert.Null(row.FinishedAt);
        var retried = (await EventsAsync(task.Id))[^1];
        Assert.Equal(new TaskRetriedData(3, task.Instruction), Data(retried, CoreJsonContext.Default.TaskRetriedData));
        Assert.Equal(2, (await ClaimAsync(task.Id)).Attempt);
        AssertFoldsToRow(await RowAsync(task.Id), await EventsAsync(task.Id));
    }

    [Fact]
    public async Task RetryTask_NotFailedOrUnknown_IsRejected()
    {
        var task = await SubmitAsync();

        var queued = await Assert.ThrowsAsync<ApexConflictException>(() => Store.RetryTaskAsync(Tenant, task.Id, 1, Ct));
        var unknown = await Assert.ThrowsAsync<ApexNotFoundException>(() => Store.RetryTaskAsync(Tenant, Guid.NewGuid(), 1, Ct));

        Assert.Equal("task_not_retryable", queued.Code);
        Assert.Equal("task_not_found", unknown.Code);
        Assert.Single(await EventsAsync(task.Id));
    }

    [Fact]
    public async Task Recover_RunningTasks_GoBackToTheQueueInDispatchOrder()
    {
        var low = await SubmitAsync(Spec(priority: 1));
        Time.Advance(TimeSpan.FromMilliseconds(1));
        var high = await SubmitAsync(Spec(priority: 9));
        Time.Advance(TimeSpan.FromMilliseconds(1));
        var running = await SubmitAsync(Spec(priority: 5));
        await ClaimAsync(running.Id);

        var items = await Store.RecoverAsync("restarted", Ct);

        Assert.Equal([high.Id, running.Id, low.Id], items.Select(i => i.Id));
        Assert.Equal([9, 5, 1], items.Select(i => i.Priority));
        var row = await RowAsync(running.Id);
        Assert.Equal(TaskState.Queued, row.Status);
        var requeued = (await EventsAsync(running.Id))[^1];
        Assert.Equal(new TaskRequeuedData(1, "worker_lost"), Data(requeued, CoreJsonContext.Default.TaskRequeuedData));
        Assert.Empty(await Store.ListRunningAsync(Ct));
        Assert.Equal(2, (await ClaimAsync(running.Id)).Attempt);
    }

    [Fact]
    public async Task ClaimNext_TakesHighestPriorityFirstThenOldest()
    {
        var ids = new List<Guid>();
        foreach (var priority in new[] { 0, 5, 1, 5, 0 })
        {
            ids.Add((await SubmitAsync(Spec(priority: priority))).Id);
            Time.Advance(TimeSpan.FromMilliseconds(3));
        }

        var first = await Store.ClaimNextAsync(2, Worker, Ct);
        var rest = await Store.ClaimNextAsync(10, Worker, Ct);

        Assert.Equal([ids[1], ids[3]], first.Select(t => t.Id));
        Assert.Equal([ids[2], ids[0], ids[4]], rest.Select(t => t.Id));
        Assert.All(first.Concat(rest), t => Assert.Equal((TaskState.Running, 1), (t.Status, t.Attempt)));
        Assert.Empty(await Store.ClaimNextAsync(10, Worker, Ct));
        foreach (var id in ids)
        {
            AssertFoldsToRow(await RowAsync(id), await EventsAsync(id));
        }
    }

    [Fact]
    public async Task ClaimNext_RespectsMaxAndRunAt()
    {
        var later = await SubmitAsync(Spec(priority: 9));
        await ClaimAsync(later.Id);
        await CompleteAsync(later.Id, 1, AttemptOutcome.RetryScheduled, retryAt: Time.GetUtcNow().AddMinutes(1));
        for (var i = 0; i < 3; i++)
        {
            await SubmitAsync();
        }

        Assert.Empty(await Store.ClaimNextAsync(0, Worker, Ct));
        Assert.Single(await Store.ClaimNextAsync(1, Worker, Ct));
        var now = await Store.ClaimNextAsync(10, Worker, Ct);
        Time.Advance(TimeSpan.FromMinutes(1));
        var due = await Store.ClaimNextAsync(10, Worker, Ct);

        Assert.Equal(2, now.Count);
        Assert.DoesNotContain(now, t => t.Id == later.Id);
        Assert.Equal([later.Id], due.Select(t => t.Id));
        Assert.Equal(2, due[0].Attempt);
    }

    [Fact]
    public async Task ClaimNext_DagTask_StartsTheDagOnce()
    {
        var dag = Dag(Contracts.Dags.FailurePolicy.FailFast, Node("a", "A."), Node("b", "B."));
        await Store.SubmitDagAsync(dag, null, Ct);

        var claimed = await Store.ClaimNextAsync(10, Worker, Ct);

        Assert.Equal(2, claimed.Count);
        Assert.Equal(Contracts.Dags.DagState.Running, (await DagAsync(dag.Id)).Status);
        var dagEvents = await DagEventsAsync(dag.Id);
        Assert.Equal([EventTypes.DagCreated, EventTypes.DagStarted], Types(dagEvents));
        Assert.Equal(2, (await DagAsync(dag.Id)).Version);
        var stream = await Store.GetDagStreamAsync(Tenant, dag.Id, 0, 100, Ct);
        Assert.Equal([EventTypes.DagCreated, EventTypes.TaskCreated, EventTypes.TaskCreated, EventTypes.TaskStarted, EventTypes.DagStarted,
            EventTypes.TaskStarted], Types(stream));
    }

    [Fact]
    public async Task ListRunning_ReturnsEachRunningAttempt()
    {
        var a = await SubmitAsync();
        var b = await SubmitAsync();
        await SubmitAsync();
        await ClaimAsync(a.Id);
        Time.Advance(TimeSpan.FromSeconds(1));
        await ClaimAsync(b.Id);
        await Store.RequeueAsync(b.Id, 1, "lease_expired", Ct);
        await ClaimAsync(b.Id);

        var running = await Store.ListRunningAsync(Ct);

        Assert.Equal([new RunningAttempt(a.Id, 1, Start), new RunningAttempt(b.Id, 2, Start.AddSeconds(1))], running);
    }

    [Fact]
    public async Task Requeue_IsCompareAndSetOnTheRunningAttempt()
    {
        var task = await SubmitAsync();
        Assert.False(await Store.RequeueAsync(task.Id, 0, "lease_expired", Ct));
        await ClaimAsync(task.Id);

        var wrongAttempt = await Store.RequeueAsync(task.Id, 2, "lease_expired", Ct);
        var right = await Store.RequeueAsync(task.Id, 1, "lease_expired", Ct);
        var again = await Store.RequeueAsync(task.Id, 1, "lease_expired", Ct);

        Assert.False(wrongAttempt);
        Assert.True(right);
        Assert.False(again);
        Assert.False(await Store.RequeueAsync(Guid.NewGuid(), 1, "lease_expired", Ct));
        var events = await EventsAsync(task.Id);
        Assert.Single(events, e => e.EventType == EventTypes.TaskRequeued);
        Assert.Equal(new TaskRequeuedData(1, "lease_expired"), Data(events[^1], CoreJsonContext.Default.TaskRequeuedData));
        var row = await RowAsync(task.Id);
        Assert.Equal((TaskState.Queued, 1), (row.Status, row.Attempt));
        AssertFoldsToRow(row, events);
    }
}
