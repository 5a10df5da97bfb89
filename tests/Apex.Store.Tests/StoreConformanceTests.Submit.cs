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
    public async Task SubmitTasks_Single_StoresQueuedRowAndCreatedEvent()
    {
        var spec = Spec(priority: 7, metadata: new Dictionary<string, string> { ["team"] = "research", ["a"] = "1" });

        var outcome = await Store.SubmitTasksAsync([spec], null, Ct);

        Assert.True(outcome.Created);
        Assert.Equal([spec.Id], outcome.Ids);
        var dispatch = Assert.Single(outcome.Dispatch);
        Assert.Equal(new DispatchItem(spec.Id, 7, 0, "default/default"), dispatch);
        var row = await RowAsync(spec.Id);
        Assert.Equal(TaskState.Queued, row.Status);
        Assert.Equal(0, row.Attempt);
        Assert.Equal(spec.Limits, row.Limits);
        Assert.Equal(Start, row.CreatedAt);
        Assert.Equal("research", row.Metadata!["team"]);
        Assert.Equal(outcome.Tasks[0] with { Metadata = null }, row with { Metadata = null });
        var created = Assert.Single(await EventsAsync(spec.Id));
        Assert.Equal(EventTypes.TaskCreated, created.EventType);
        Assert.Equal(TaskState.Queued, Data(created, CoreJsonContext.Default.TaskCreatedData).Status);
        AssertFoldsToRow(row, [created]);
    }

    [Fact]
    public async Task SubmitTasks_Batch_StoresAllInOrder()
    {
        var specs = Enumerable.Range(0, 25).Select(i => Spec($"task {i}", priority: i % 3)).ToArray();

        var outcome = await Store.SubmitTasksAsync(specs, null, Ct);

        Assert.Equal(specs.Select(s => s.Id), outcome.Ids);
        Assert.Equal(specs.Select(s => s.Id), outcome.Dispatch.Select(d => d.Id));
        Assert.Equal(specs.Select(s => s.Instruction), outcome.Tasks.Select(t => t.Instruction));
        foreach (var spec in specs)
        {
            Assert.Equal(spec.Instruction, (await RowAsync(spec.Id)).Instruction);
        }
    }

    [Fact]
    public async Task SubmitTasks_BatchWithDuplicateId_StoresNothing()
    {
        var first = Spec("first");
        var batch = new[] { first, Spec("second"), first with { Instruction = "again" } };

        await Assert.ThrowsAnyAsync<Exception>(() => Store.SubmitTasksAsync(batch, null, Ct));

        Assert.Null(await Store.GetTaskAsync(Tenant, batch[0].Id, Ct));
        Assert.Null(await Store.GetTaskAsync(Tenant, batch[1].Id, Ct));
        Assert.Empty((await Store.ListTasksAsync(new TaskQuery { TenantId = Tenant }, Ct)).Items);
    }

    [Fact]
    public async Task SubmitTasks_FailedBatch_DoesNotFailOtherWritesOfTheSameGroup()
    {
        var duplicate = Spec();
        var good = Spec();
        await Store.SubmitTasksAsync([duplicate], null, Ct);

        var bad = Store.SubmitTasksAsync([Spec(), duplicate], null, Ct);
        var fine = Store.SubmitTasksAsync([good], null, Ct);

        await Assert.ThrowsAnyAsync<Exception>(() => bad);
        Assert.True((await fine).Created);
        Assert.Equal(TaskState.Queued, (await RowAsync(good.Id)).Status);
    }

    [Fact]
    public async Task SubmitTasks_SameKeyAndBody_ReplaysWithoutCreating()
    {
        var key = new IdempotencyKey("key-1", "hash-a");
        var first = await Store.SubmitTasksAsync([Spec(), Spec()], key, Ct);

        var replay = await Store.SubmitTasksAsync([Spec(), Spec()], key, Ct);

        Assert.False(replay.Created);
        Assert.Equal(first.Ids, replay.Ids);
        Assert.Empty(replay.Dispatch);
        Assert.Empty(replay.Tasks);
        Assert.Equal(2, (await Store.ListTasksAsync(new TaskQuery { TenantId = Tenant }, Ct)).Items.Count);
    }

    [Fact]
    public async Task SubmitTasks_SameKeyDifferentBody_IsRejected()
    {
        await Store.SubmitTasksAsync([Spec()], new IdempotencyKey("key-1", "hash-a"), Ct);

        var error = await Assert.ThrowsAsync<ApexValidationException>(
            () => Store.SubmitTasksAsync([Spec()], new IdempotencyKey("key-1", "hash-b"), Ct));

        Assert.Equal("idempotency_key_reused", error.Code);
        Assert.Single((await Store.ListTasksAsync(new TaskQuery { TenantId = Tenant }, Ct)).Items);
    }

    [Fact]
    public async Task SubmitTasks_SameKeyOtherTenant_IsIndependent()
    {
        await Store.SubmitTasksAsync([Spec()], new IdempotencyKey("key-1", "hash-a"), Ct);

        var other = await Store.SubmitTasksAsync([Spec(tenant: "acme")], new IdempotencyKey("key-1", "hash-b"), Ct);

        Assert.True(other.Created);
    }

    [Fact]
    public async Task SubmitDag_StoresRootsQueuedAndDependentsPending()
    {
        var dag = Dag(FailurePolicy.FailFast, Node("fetch", "Fetch."), Node("summarise", "Summarise {{tasks.fetch.output}}", "fetch"),
            Node("review", "Review.", "fetch"), Node("publish", "Publish.", "summarise", "review"));

        var outcome = await Store.SubmitDagAsync(dag, null, Ct);

        Assert.True(outcome.Created);
        Assert.Equal(dag.Id, outcome.DagId);
        Assert.Equal([dag.Tasks[0].Id], outcome.Dispatch.Select(d => d.Id));
        var record = await DagAsync(dag.Id);
        Assert.Equal(DagState.Pending, record.Status);
        Assert.Equal(4, record.TaskCount);
        Assert.Equal(0, record.TasksDone);
        Assert.Equal(1, record.Version);
        var nodes = await Store.GetDagTasksAsync(Tenant, dag.Id, Ct);
        Assert.Equal(["fetch", "summarise", "review", "publish"], nodes.Select(n => n.Key));
        Assert.Equal([TaskState.Queued, TaskState.Pending, TaskState.Pending, TaskState.Pending], nodes.Select(n => n.Status));
        Assert.Equal(["review", "summarise"], nodes[3].DependsOn.Order(StringComparer.Ordinal));
        var rows = await DagRowsAsync(dag.Id);
        Assert.Equal("Summarise {{tasks.fetch.output}}", rows["summarise"].Instruction);
        Assert.Equal(dag.Id, rows["publish"].DagId);
        Assert.Equal([EventTypes.DagCreated], Types(await DagEventsAsync(dag.Id)));
        var created = Data(Assert.Single(await EventsAsync(rows["publish"].Id)), CoreJsonContext.Default.TaskCreatedData);
        Assert.Equal(["review", "summarise"], created.DependsOn!.Order(StringComparer.Ordinal));
        Assert.Equal("publish", created.Key);
    }

    [Fact]
    public async Task SubmitDag_SameKey_ReplaysAndReuseIsRejected()
    {
        var key = new IdempotencyKey("dag-key", "hash-a");
        var first = await Store.SubmitDagAsync(Dag(FailurePolicy.FailFast, Node("a", "A.")), key, Ct);

        var replay = await Store.SubmitDagAsync(Dag(FailurePolicy.FailFast, Node("a", "A.")), key, Ct);
        var error = await Assert.ThrowsAsync<ApexValidationException>(
            () => Store.SubmitDagAsync(Dag(FailurePolicy.FailFast, Node("a", "A.")), key with { RequestHash = "hash-b" }, Ct));
        var tasksKind = await Assert.ThrowsAsync<ApexValidationException>(() => Store.SubmitTasksAsync([Spec()], key, Ct));

        Assert.False(replay.Created);
        Assert.Equal(first.DagId, replay.DagId);
        Assert.Empty(replay.Dispatch);
        Assert.Equal("idempotency_key_reused", error.Code);
        Assert.Equal("idempotency_key_reused", tasksKind.Code);
        Assert.Single((await Store.ListDagsAsync(new DagQuery { TenantId = Tenant }, Ct)).Items);
    }
}
