using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core.Errors;
using Apex.Core.Events;
using Apex.Core.Storage;
using Xunit;

namespace Apex.Store.Tests;

public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task Dag_Success_QueuesReadyDependentsWithRenderedInstructionsAndFinishes()
    {
        var dag = Dag(FailurePolicy.FailFast, Node("fetch", "Fetch."), Node("summarise", "Summarise {{tasks.fetch.output}} now.", "fetch"),
            Node("review", "Review {{ tasks.fetch.output }}.", "fetch"), Node("publish", "Publish {{tasks.summarise.output}} + {{tasks.review.output}}", "summarise", "review"));
        await Store.SubmitDagAsync(dag, null, Ct);
        var ids = (await DagRowsAsync(dag.Id)).ToDictionary(p => p.Key, p => p.Value.Id);

        await ClaimAsync(ids["fetch"]);
        var afterFetch = await CompleteAsync(ids["fetch"], 1, output: "the data");

        Assert.Equal(new[] { ids["summarise"], ids["review"] }.Order(), afterFetch.Dispatch.Select(d => d.Id).Order());
        var rows = await DagRowsAsync(dag.Id);
        Assert.Equal("Summarise the data now.", rows["summarise"].Instruction);
        Assert.Equal("Review the data.", rows["review"].Instruction);
        Assert.Equal(TaskState.Pending, rows["publish"].Status);
        var queued = (await EventsAsync(ids["summarise"]))[^1];
        Assert.Equal(new TaskQueuedData("Summarise the data now."), Data(queued, CoreJsonContext.Default.TaskQueuedData));

        await ClaimAsync(ids["summarise"]);
        Assert.Empty((await CompleteAsync(ids["summarise"], 1, output: "S")).Dispatch);
        await ClaimAsync(ids["review"]);
        Assert.Equal([ids["publish"]], (await CompleteAsync(ids["review"], 1, output: "R")).Dispatch.Select(d => d.Id));
        Assert.Equal("Publish S + R", (await RowAsync(ids["publish"])).Instruction);
        Assert.Equal(3, (await DagAsync(dag.Id)).TasksDone);
        Assert.Equal(DagState.Running, (await DagAsync(dag.Id)).Status);

        await ClaimAsync(ids["publish"]);
        Time.Advance(TimeSpan.FromSeconds(3));
        await CompleteAsync(ids["publish"], 1, output: "published");

        var record = await DagAsync(dag.Id);
        Assert.Equal(DagState.Succeeded, record.Status);
        Assert.Equal(4, record.TasksDone);
        Assert.Equal(Time.GetUtcNow(), record.FinishedAt);
        Assert.Equal([EventTypes.DagCreated, EventTypes.DagStarted, EventTypes.DagSucceeded], Types(await DagEventsAsync(dag.Id)));
        Assert.Equal(3, record.Version);
        foreach (var id in ids.Values)
        {
            AssertFoldsToRow(await RowAsync(id), await EventsAsync(id));
        }
    }

    [Fact]
    public async Task Dag_FailFast_SkipsWaitingTasksAndCancelsRunningOnes()
    {
        var dag = Dag(FailurePolicy.FailFast, Node("a", "A."), Node("b", "B.", "a"), Node("c", "C."), Node("d", "D."));
        await Store.SubmitDagAsync(dag, null, Ct);
        var ids = (await DagRowsAsync(dag.Id)).ToDictionary(p => p.Key, p => p.Value.Id);
        await ClaimAsync(ids["a"]);
        await ClaimAsync(ids["c"]);

        var outcome = await CompleteAsync(ids["a"], 1, AttemptOutcome.Failed, error: new TaskError("timeout", "Too slow."));

        Assert.Equal([ids["c"]], outcome.CancelRunning);
        Assert.Equal([ids["d"]], outcome.Withdrawn); // queued; b was pending, in no queue
        Assert.Empty(outcome.Dispatch);
        var rows = await DagRowsAsync(dag.Id);
        Assert.Equal(TaskState.Failed, rows["a"].Status);
        Assert.Equal((TaskState.Skipped, "dependency_failed", "Task 'a' failed."), (rows["b"].Status, rows["b"].ErrorCode, rows["b"].ErrorMessage));
        Assert.Equal((TaskState.Skipped, "dependency_failed"), (rows["d"].Status, rows["d"].ErrorCode));
        Assert.Equal((TaskState.Cancelled, "dag_failed", "Cancelled: task 'a' failed and the DAG fails fast."),
            (rows["c"].Status, rows["c"].ErrorCode, rows["c"].ErrorMessage));
        var record = await DagAsync(dag.Id);
        Assert.Equal((DagState.Failed, 4), (record.Status, record.TasksDone));
        var failed = (await DagEventsAsync(dag.Id))[^1];
        Assert.Equal(EventTypes.DagFailed, failed.EventType);
        Assert.Equal(new DagEventData("task_failed", "a"), Data(failed, CoreJsonContext.Default.DagEventData));

        Assert.False((await CompleteAsync(ids["c"], 1, output: "late")).Applied);
        Assert.Null(await Store.ClaimAsync(ids["d"], Worker, Ct));
        foreach (var id in ids.Values)
        {
            var events = await EventsAsync(id);
            Assert.Single(events, e => EventTypes.IsTerminal(e.EventType));
            AssertFoldsToRow(await RowAsync(id), events);
        }
    }

    [Fact]
    public async Task Dag_Continue_SkipsOnlyDescendantsAndFinishesWhenTheRestIsDone()
    {
        var dag = Dag(FailurePolicy.Continue, Node("a", "A."), Node("b", "B.", "a"), Node("e", "E.", "b"), Node("f", "F.", "a", "c"),
            Node("c", "C."), Node("g", "G.", "c"));
        await Store.SubmitDagAsync(dag, null, Ct);
        var ids = (await DagRowsAsync(dag.Id)).ToDictionary(p => p.Key, p => p.Value.Id);
        await ClaimAsync(ids["a"]);
        await ClaimAsync(ids["c"]);

        var outcome = await CompleteAsync(ids["a"], 1, AttemptOutcome.Failed);

        Assert.Empty(outcome.CancelRunning);
        Assert.Empty(outcome.Withdrawn); // only pending descendants are skipped
        var rows = await DagRowsAsync(dag.Id);
        Assert.Equal([TaskState.Skipped, TaskState.Skipped, TaskState.Skipped], new[] { rows["b"], rows["e"], rows["f"] }.Select(r => r.Status));
        Assert.Equal((TaskState.Running, TaskState.Pending), (rows["c"].Status, rows["g"].Status));
        Assert.Equal((DagState.Running, 4), ((await DagAsync(dag.Id)).Status, (await DagAsync(dag.Id)).TasksDone));

        Assert.Equal([ids["g"]], (await CompleteAsync(ids["c"], 1, output: "C")).Dispatch.Select(d => d.Id));
        await ClaimAsync(ids["g"]);
        await CompleteAsync(ids["g"], 1, output: "G");

        var record = await DagAsync(dag.Id);
        Assert.Equal((DagState.Failed, 6), (record.Status, record.TasksDone));
        var failed = Data((await DagEventsAsync(dag.Id))[^1], CoreJsonContext.Default.DagEventData);
        Assert.Equal("task_failed", failed.Reason);
        Assert.Contains(failed.TaskKey, new[] { "a", "b", "e", "f" });
        foreach (var id in ids.Values)
        {
            AssertFoldsToRow(await RowAsync(id), await EventsAsync(id));
        }
    }

    [Fact]
    public async Task Dag_RetryScheduled_KeepsTheDagRunning()
    {
        var dag = Dag(FailurePolicy.FailFast, Node("a", "A."), Node("b", "B {{tasks.a.output}}", "a"));
        await Store.SubmitDagAsync(dag, null, Ct);
        var a = dag.Tasks[0].Id;
        await ClaimAsync(a);

        await CompleteAsync(a, 1, AttemptOutcome.RetryScheduled, retryAt: Time.GetUtcNow());
        await ClaimAsync(a);
        var outcome = await CompleteAsync(a, 2, output: "second");

        Assert.Equal([dag.Tasks[1].Id], outcome.Dispatch.Select(d => d.Id));
        Assert.Equal("B second", (await RowAsync(dag.Tasks[1].Id)).Instruction);
        Assert.Equal((DagState.Running, 1), ((await DagAsync(dag.Id)).Status, (await DagAsync(dag.Id)).TasksDone));
    }

    [Fact]
    public async Task CancelTask_PendingDagTask_FailsAFailFastDag()
    {
        var dag = Dag(FailurePolicy.FailFast, Node("a", "A."), Node("b", "B.", "a"));
        await Store.SubmitDagAsync(dag, null, Ct);

        var outcome = await Store.CancelTaskAsync(Tenant, dag.Tasks[1].Id, Ct);

        Assert.Empty(outcome.CancelRunning);
        Assert.Equal([dag.Tasks[0].Id], outcome.Withdrawn); // a was queued; b, pending, was in no queue
        var rows = await DagRowsAsync(dag.Id);
        Assert.Equal((TaskState.Cancelled, TaskState.Skipped), (rows["b"].Status, rows["a"].Status));
        Assert.Equal("Task 'b' cancelled.", rows["a"].ErrorMessage);
        var record = await DagAsync(dag.Id);
        Assert.Equal((DagState.Failed, 2), (record.Status, record.TasksDone));
        Assert.Equal(new DagEventData("task_cancelled", "b"), Data((await DagEventsAsync(dag.Id))[^1], CoreJsonContext.Default.DagEventData));
    }

    [Fact]
    public async Task CancelDag_CancelsEveryUnfinishedTask()
    {
        var dag = Dag(FailurePolicy.Continue, Node("a", "A."), Node("b", "B.", "a"), Node("c", "C."), Node("d", "D."));
        await Store.SubmitDagAsync(dag, null, Ct);
        var ids = (await DagRowsAsync(dag.Id)).ToDictionary(p => p.Key, p => p.Value.Id);
        await ClaimAsync(ids["a"]);
        await ClaimAsync(ids["d"]);
        await CompleteAsync(ids["d"], 1, output: "D");

        var outcome = await Store.CancelDagAsync(Tenant, dag.Id, Ct);

        Assert.Equal([ids["a"]], outcome.CancelRunning);
        Assert.Equal([ids["c"]], outcome.Withdrawn); // queued; b was pending, d had succeeded
        var rows = await DagRowsAsync(dag.Id);
        Assert.Equal([TaskState.Cancelled, TaskState.Cancelled, TaskState.Cancelled, TaskState.Succeeded],
            new[] { "a", "b", "c", "d" }.Select(k => rows[k].Status));
        Assert.Equal("The DAG was cancelled.", rows["b"].ErrorMessage);
        var record = await DagAsync(dag.Id);
        Assert.Equal((DagState.Cancelled, 4), (record.Status, record.TasksDone));
        Assert.Equal(new DagEventData("cancelled"), Data((await DagEventsAsync(dag.Id))[^1], CoreJsonContext.Default.DagEventData));
        Assert.Equal("dag_not_cancellable", (await Assert.ThrowsAsync<ApexConflictException>(() => Store.CancelDagAsync(Tenant, dag.Id, Ct))).Code);
        Assert.Equal("dag_not_found", (await Assert.ThrowsAsync<ApexNotFoundException>(() => Store.CancelDagAsync("acme", dag.Id, Ct))).Code);
        Assert.Equal("dag_not_found", (await Assert.ThrowsAsync<ApexNotFoundException>(() => Store.CancelDagAsync(Tenant, Guid.NewGuid(), Ct))).Code);
        Assert.False((await CompleteAsync(ids["a"], 1)).Applied);
        foreach (var id in ids.Values)
        {
            AssertFoldsToRow(await RowAsync(id), await EventsAsync(id));
        }
    }

    [Fact]
    public async Task Dag_FailFast_WithdrawsQueuedTasksIncludingOnesWaitingForTheirRetry()
    {
        var dag = Dag(FailurePolicy.FailFast, Node("a", "A."), Node("b", "B."), Node("c", "C.", "a"), Node("d", "D."));
        await Store.SubmitDagAsync(dag, null, Ct);
        var ids = (await DagRowsAsync(dag.Id)).ToDictionary(p => p.Key, p => p.Value.Id);
        await ClaimAsync(ids["a"]);
        await ClaimAsync(ids["b"]);
        await CompleteAsync(ids["b"], 1, AttemptOutcome.RetryScheduled, retryAt: Time.GetUtcNow().AddMinutes(5));

        var outcome = await CompleteAsync(ids["a"], 1, AttemptOutcome.Failed);

        Assert.Empty(outcome.CancelRunning);
        Assert.Empty(outcome.Dispatch);
        Assert.Equal(new[] { ids["b"], ids["d"] }.Order(), outcome.Withdrawn.Order());
        var rows = await DagRowsAsync(dag.Id);
        Assert.Equal([TaskState.Skipped, TaskState.Skipped, TaskState.Skipped], new[] { "b", "c", "d" }.Select(k => rows[k].Status));
        Assert.Equal((DagState.Failed, 4), ((await DagAsync(dag.Id)).Status, (await DagAsync(dag.Id)).TasksDone));
        Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Empty(await Store.ClaimNextAsync(10, Worker, Ct));
        foreach (var id in ids.Values)
        {
            AssertFoldsToRow(await RowAsync(id), await EventsAsync(id));
        }
    }

    [Fact]
    public async Task RetryTask_DagTask_IsRejected()
    {
        var dag = Dag(FailurePolicy.FailFast, Node("a", "A."));
        await Store.SubmitDagAsync(dag, null, Ct);
        await ClaimAsync(dag.Tasks[0].Id);
        await CompleteAsync(dag.Tasks[0].Id, 1, AttemptOutcome.Failed);

        var error = await Assert.ThrowsAsync<ApexConflictException>(() => Store.RetryTaskAsync(Tenant, dag.Tasks[0].Id, 1, Ct));

        Assert.Equal("dag_task_not_retryable", error.Code);
        Assert.Equal(TaskState.Failed, (await RowAsync(dag.Tasks[0].Id)).Status);
    }
}
