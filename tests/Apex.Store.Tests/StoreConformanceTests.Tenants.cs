using Apex.Contracts.Dags;
using Apex.Core.Errors;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;
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

public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task ClaimNext_WithCaps_ClaimsNoTaskOfATenantAtItsCap_AndTheOthersStillRun()
    {
        // Acme's backlog comes first in FIFO order, Globex's after it; Acme may run 2 at once, Globex is unlimited.
        var acme = await Store.SubmitTasksAsync([.. Enumerable.Range(0, 30).Select(_ => Spec(tenant: Stranger))], null, Ct);
        Time.Advance(TimeSpan.FromMilliseconds(1));
        var globex = await Store.SubmitTasksAsync([Spec(), Spec(), Spec()], null, Ct);
        var caps = new ConcurrencyCaps(int.MaxValue, new Dictionary<string, int> { [Stranger] = 2 });

        var claimed = new List<TaskRecord>();
        for (var round = 0; round < 3; round++)
        {
            claimed.AddRange(await Store.ClaimNextAsync(5, Worker, caps, Ct));
        }

        Assert.Equal(2, claimed.Count(t => t.TenantId == Stranger));
        Assert.Equal(globex.Ids.Order(), claimed.Where(t => t.TenantId == Tenant).Select(t => t.Id).Order());
        Assert.Empty(await Store.ClaimNextAsync(5, Worker, caps, Ct));

        // One of Acme's runs ends: exactly one more of its tasks may start, the next in FIFO order.
        var first = claimed.First(t => t.TenantId == Stranger);
        await CompleteAsync(first.Id, first.Attempt, tenant: Stranger);
        var next = Assert.Single(await Store.ClaimNextAsync(5, Worker, caps, Ct));
        // The batch shares one created_at: FIFO falls to the id, ordered as both stores order it (as text).
        var waiting = acme.Ids.Except(claimed.Select(t => t.Id)).Select(id => id.ToString()).Order(StringComparer.Ordinal);
        Assert.Equal(waiting.First(), next.Id.ToString());

        // Without caps the claim is the plain one.
        Assert.Equal(5, (await Store.ClaimNextAsync(5, Worker, new ConcurrencyCaps(int.MaxValue, new Dictionary<string, int>()), Ct)).Count);
    }

    [Fact]
    public async Task ClaimNext_WithADefaultCap_CapsEveryTenant_AndAnOverrideLiftsIt()
    {
        await Store.SubmitTasksAsync([.. Enumerable.Range(0, 4).Select(_ => Spec(tenant: Stranger))], null, Ct);
        await Store.SubmitTasksAsync([.. Enumerable.Range(0, 4).Select(_ => Spec())], null, Ct);
        var caps = new ConcurrencyCaps(1, new Dictionary<string, int> { [Tenant] = int.MaxValue });

        var claimed = await Store.ClaimNextAsync(100, Worker, caps, Ct);

        Assert.Equal(1, claimed.Count(t => t.TenantId == Stranger));
        Assert.Equal(4, claimed.Count(t => t.TenantId == Tenant));
    }
}
