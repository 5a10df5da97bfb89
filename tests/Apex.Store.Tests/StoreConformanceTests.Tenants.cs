using Apex.Contracts.Dags;
using Apex.Core.Errors;
using Apex.Core.Storage;
using Xunit;

namespace Apex.Store.Tests;

public abstract partial class StoreConformanceTests
{
    private const string Stranger = "acme";

    [Fact]
    public async Task EveryTenantRead_OfAnotherTenantsDagAndTasks_FindsNothing()
    {
        var dag = Dag(FailurePolicy.FailFast, Node("a", "first"), Node("b", "second", "a"));
        await Store.SubmitDagAsync(dag, null, Ct);
        var rows = await DagRowsAsync(dag.Id);

        Assert.Null(await Store.GetDagAsync(Stranger, dag.Id, Ct));
        Assert.Empty(await Store.GetDagTasksAsync(Stranger, dag.Id, Ct));
        Assert.Empty(await Store.GetDagStreamAsync(Stranger, dag.Id, 0, 100, Ct));
        Assert.Empty(await Store.GetEventLogAsync(Stranger, 0, 100, Ct));
        Assert.Empty((await Store.ListDagsAsync(new DagQuery { TenantId = Stranger, Limit = 100 }, Ct)).Items);
        Assert.Empty((await Store.ListTasksAsync(new TaskQuery { TenantId = Stranger, DagId = dag.Id, Limit = 100 }, Ct)).Items);
        Assert.Empty((await Store.GetDagUsageAsync(Stranger, dag.Id, Ct)).TasksByStatus);
        Assert.Empty((await Store.GetAgentUsageAsync(Stranger, "default", Ct)).TasksByStatus);
        Assert.Null(await Store.GetTaskAsync(Stranger, rows["a"].Id, Ct));

        // The control: the owner reads them all.
        Assert.NotNull(await Store.GetDagAsync(Tenant, dag.Id, Ct));
        Assert.Equal(2, (await Store.GetDagTasksAsync(Tenant, dag.Id, Ct)).Count);
        Assert.NotEmpty(await Store.GetEventLogAsync(Tenant, 0, 100, Ct));
    }

    [Fact]
    public async Task EveryTenantWrite_OnAnotherTenantsObjects_IsNotFound_AndChangesNothing()
    {
        var dag = Dag(FailurePolicy.FailFast, Node("a", "first"));
        await Store.SubmitDagAsync(dag, null, Ct);
        var task = await SubmitAsync();
        var before = await EventsAsync(task.Id);
        var dagBefore = await DagAsync(dag.Id);

        Assert.Equal("dag_not_found", (await Assert.ThrowsAsync<ApexNotFoundException>(() => Store.CancelDagAsync(Stranger, dag.Id, Ct))).Code);
        Assert.Equal("task_not_found", (await Assert.ThrowsAsync<ApexNotFoundException>(() => Store.CancelTaskAsync(Stranger, task.Id, Ct))).Code);
        Assert.Equal("task_not_found", (await Assert.ThrowsAsync<ApexNotFoundException>(() => Store.RetryTaskAsync(Stranger, task.Id, 3, Ct))).Code);

        Assert.Equal(before.Count, (await EventsAsync(task.Id)).Count);
        Assert.Equal(task.Status, (await RowAsync(task.Id)).Status);
        Assert.Equal(dagBefore, await DagAsync(dag.Id));
    }
}
