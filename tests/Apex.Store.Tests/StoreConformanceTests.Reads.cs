using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core.Errors;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Xunit;

namespace Apex.Store.Tests;

public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task GetTask_OtherTenant_IsNull()
    {
        var task = await SubmitAsync();

        Assert.Null(await Store.GetTaskAsync("acme", task.Id, Ct));
        Assert.Null(await Store.GetTaskAsync(Tenant, Guid.NewGuid(), Ct));
        Assert.Empty(await Store.GetEventsAsync("acme", EventTypes.Task, task.Id, 0, 10, Ct));
    }

    [Fact]
    public async Task ListTasks_PagesNewestFirstWithoutGapsOrRepeats()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            // Two tasks per millisecond: the cursor must break ties by id.
            var batch = await Store.SubmitTasksAsync([Spec(), Spec()], null, Ct);
            ids.AddRange(batch.Ids);
            Time.Advance(TimeSpan.FromMilliseconds(1));
        }
        await SubmitAsync(Spec(tenant: "acme"));

        var seen = new List<TaskRecord>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Store.ListTasksAsync(new TaskQuery { TenantId = Tenant, Limit = 3, Cursor = cursor }, Ct);
            seen.AddRange(page.Items);
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(ids.Order(), seen.Select(t => t.Id).Order());
        Assert.Equal(seen.OrderByDescending(t => t.CreatedAt).ThenByDescending(t => t.Id).Select(t => t.Id), seen.Select(t => t.Id));
    }

    [Fact]
    public async Task ListTasks_FiltersByStatusAgentAndDag()
    {
        var queued = await SubmitAsync(Spec(agent: "writer"));
        var running = await SubmitAsync();
        await ClaimAsync(running.Id);
        var dag = Dag(FailurePolicy.FailFast, Node("a", "A."), Node("b", "B.", "a"));
        await Store.SubmitDagAsync(dag, null, Ct);

        var byStatus = await Store.ListTasksAsync(new TaskQuery { TenantId = Tenant, Status = TaskState.Running }, Ct);
        var byAgent = await Store.ListTasksAsync(new TaskQuery { TenantId = Tenant, Agent = "writer" }, Ct);
        var byDag = await Store.ListTasksAsync(new TaskQuery { TenantId = Tenant, DagId = dag.Id }, Ct);
        var pendingInDag = await Store.ListTasksAsync(new TaskQuery { TenantId = Tenant, DagId = dag.Id, Status = TaskState.Pending }, Ct);

        Assert.Equal([running.Id], byStatus.Items.Select(t => t.Id));
        Assert.Equal([queued.Id], byAgent.Items.Select(t => t.Id));
        Assert.Equal(dag.Tasks.Select(t => t.Id).Order(), byDag.Items.Select(t => t.Id).Order());
        Assert.Equal([dag.Tasks[1].Id], pendingInDag.Items.Select(t => t.Id));
        Assert.Null(byDag.NextCursor);
    }

    [Fact]
    public async Task ListTasksAndDags_ForeignCursor_IsRejected()
    {
        var tasks = await Assert.ThrowsAsync<ApexValidationException>(
            () => Store.ListTasksAsync(new TaskQuery { TenantId = Tenant, Cursor = "not-a-cursor" }, Ct));
        var dags = await Assert.ThrowsAsync<ApexValidationException>(
            () => Store.ListDagsAsync(new DagQuery { TenantId = Tenant, Cursor = "bm90fGEtZ3VpZA" }, Ct));

        Assert.Equal("invalid_cursor", tasks.Code);
        Assert.Equal("invalid_cursor", dags.Code);
    }

    [Fact]
    public async Task ListDags_PagesNewestFirstAndFiltersByStatus()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            var dag = Dag(FailurePolicy.FailFast, Node("a", "A."));
            await Store.SubmitDagAsync(dag, null, Ct);
            ids.Add(dag.Id);
            Time.Advance(TimeSpan.FromMilliseconds(1));
        }
        await Store.CancelDagAsync(Tenant, ids[2], Ct);

        var first = await Store.ListDagsAsync(new DagQuery { TenantId = Tenant, Limit = 2 }, Ct);
        var second = await Store.ListDagsAsync(new DagQuery { TenantId = Tenant, Limit = 2, Cursor = first.NextCursor }, Ct);
        var third = await Store.ListDagsAsync(new DagQuery { TenantId = Tenant, Limit = 2, Cursor = second.NextCursor }, Ct);
        var cancelled = await Store.ListDagsAsync(new DagQuery { TenantId = Tenant, Status = DagState.Cancelled }, Ct);

        Assert.Equal([ids[4], ids[3], ids[2], ids[1], ids[0]], first.Items.Concat(second.Items).Concat(third.Items).Select(d => d.Id));
        Assert.Null(third.NextCursor);
        Assert.Equal([ids[2]], cancelled.Items.Select(d => d.Id));
        Assert.Empty((await Store.ListDagsAsync(new DagQuery { TenantId = "acme" }, Ct)).Items);
    }

    [Fact]
    public async Task GetEvents_AfterSeqAndLimit_PageThroughOneAggregate()
    {
        var task = await SubmitAsync();
        await ClaimAsync(task.Id);
        await CompleteAsync(task.Id, 1);
        var all = await EventsAsync(task.Id);

        var afterFirst = await Store.GetEventsAsync(Tenant, EventTypes.Task, task.Id, all[0].Seq, 10, Ct);
        var one = await Store.GetEventsAsync(Tenant, EventTypes.Task, task.Id, 0, 1, Ct);

        Assert.Equal([1, 2, 3], all.Select(e => e.Version));
        Assert.True(all[0].Seq < all[1].Seq && all[1].Seq < all[2].Seq);
        Assert.Equal(all.Skip(1), afterFirst);
        Assert.Equal([all[0]], one);
        Assert.All(all, e => Assert.Equal((Tenant, EventTypes.Task, task.Id, (Guid?)null), (e.TenantId, e.AggregateType, e.AggregateId, e.DagId)));
    }

    [Fact]
    public async Task GetDagStream_ReturnsDagAndTaskEventsInGlobalOrder()
    {
        var dag = Dag(FailurePolicy.FailFast, Node("a", "A."), Node("b", "B.", "a"));
        await Store.SubmitDagAsync(dag, null, Ct);
        await SubmitAsync();
        await ClaimAsync(dag.Tasks[0].Id);
        await CompleteAsync(dag.Tasks[0].Id, 1);

        var stream = await Store.GetDagStreamAsync(Tenant, dag.Id, 0, 100, Ct);
        var resumed = await Store.GetDagStreamAsync(Tenant, dag.Id, stream[3].Seq, 2, Ct);

        Assert.Equal([EventTypes.DagCreated, EventTypes.TaskCreated, EventTypes.TaskCreated, EventTypes.TaskStarted, EventTypes.DagStarted,
            EventTypes.TaskSucceeded, EventTypes.TaskQueued], Types(stream));
        Assert.All(stream, e => Assert.Equal(dag.Id, e.DagId));
        Assert.Equal(stream.Select(e => e.Seq).Order(), stream.Select(e => e.Seq));
        Assert.Equal(stream.Skip(4).Take(2), resumed);
        Assert.Empty(await Store.GetDagStreamAsync("acme", dag.Id, 0, 100, Ct));
    }

    [Fact]
    public async Task Usage_SumsTasksOfADagAndOfAnAgent()
    {
        var dag = Dag(FailurePolicy.Continue, Node("a", "A."), Node("b", "B."));
        await Store.SubmitDagAsync(dag, null, Ct);
        await ClaimAsync(dag.Tasks[0].Id);
        await CompleteAsync(dag.Tasks[0].Id, 1, usage: new UsageDelta(10, 5, 0.25m, 1));
        await ClaimAsync(dag.Tasks[1].Id);
        await CompleteAsync(dag.Tasks[1].Id, 1, AttemptOutcome.Failed, usage: new UsageDelta(1, 2, 0.000000001m, 3));
        var writer = await SubmitAsync(Spec(agent: "writer"));
        await ClaimAsync(writer.Id);
        await CompleteAsync(writer.Id, 1, usage: new UsageDelta(7, 7, 1m, 7));

        var dagUsage = await Store.GetDagUsageAsync(Tenant, dag.Id, Ct);
        var defaultAgent = await Store.GetAgentUsageAsync(Tenant, "default", Ct);
        var writerAgent = await Store.GetAgentUsageAsync(Tenant, "writer", Ct);

        Assert.Equal((11L, 7L, 0.250000001m, 4L), (dagUsage.InputTokens, dagUsage.OutputTokens, dagUsage.CostUsd, dagUsage.ApiCalls));
        Assert.Equal([("failed", 1L), ("succeeded", 1L)], dagUsage.TasksByStatus.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value)));
        Assert.Equal(dagUsage.CostUsd, defaultAgent.CostUsd);
        Assert.Equal((7L, 1m), (writerAgent.InputTokens, writerAgent.CostUsd));
        Assert.Empty((await Store.GetAgentUsageAsync(Tenant, "nobody", Ct)).TasksByStatus);
    }
}
