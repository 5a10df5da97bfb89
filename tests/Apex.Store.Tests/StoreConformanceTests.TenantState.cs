using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tenants;
using Xunit;

namespace Apex.Store.Tests;

public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task Tenants_WithoutRow_AreAbsent_AndUpsertsKeepTheOtherHalf()
    {
        var tenants = (ITenantStore)Store;
        Assert.Null(await tenants.GetTenantAsync("acme", Ct));
        Assert.Empty(await tenants.ListTenantsAsync(Ct));

        var quotas = new TenantQuotas { RequestsPerSecond = 2.5, RequestBurst = 5, QueuedTasks = 100, ConcurrentRuns = 0, CostPerDayUsd = 12.345678901m };
        var created = await tenants.SetTenantQuotasAsync("acme", quotas, Start, Ct);
        Assert.Equal(TenantState.Active, created.State);
        Assert.Equal(quotas, created.Quotas);
        Assert.Equal(Start.ToUnixTimeMilliseconds(), created.CreatedAt.ToUnixTimeMilliseconds());

        var suspended = await tenants.SetTenantStateAsync("acme", TenantState.Suspended, Start.AddMinutes(1), Ct);
        Assert.Equal(TenantState.Suspended, suspended.State);
        Assert.Equal(quotas, suspended.Quotas);
        Assert.Equal(created.CreatedAt, suspended.CreatedAt);
        Assert.Equal(Start.AddMinutes(1).ToUnixTimeMilliseconds(), suspended.UpdatedAt.ToUnixTimeMilliseconds());

        var lifted = await tenants.SetTenantQuotasAsync("acme", TenantQuotas.None with { QueuedTasks = 7 }, Start.AddMinutes(2), Ct);
        Assert.Equal(TenantState.Suspended, lifted.State);
        Assert.Equal(TenantQuotas.None with { QueuedTasks = 7 }, lifted.Quotas);

        var other = await tenants.SetTenantStateAsync("beta", TenantState.Suspended, Start, Ct);
        Assert.Equal(TenantQuotas.None, other.Quotas);
        Assert.Equal(["acme", "beta"], (await tenants.ListTenantsAsync(Ct)).Select(t => t.TenantId));
        Assert.Equal(lifted, await tenants.GetTenantAsync("acme", Ct));
    }

    [Fact]
    public async Task TenantUsage_CountsQueuedRunningAndTodaysCost_OfThatTenantOnly()
    {
        var tenants = (ITenantStore)Store;
        await Store.SubmitTasksAsync([Spec("a", tenant: "acme"), Spec("b", tenant: "acme"), Spec("c", tenant: "acme"), Spec("other")], null, Ct);
        var claimed = await Store.ClaimNextAsync(2, Worker, Ct);
        var acme = claimed.Where(t => t.TenantId == "acme").ToList();
        Assert.NotEmpty(acme);

        var first = acme[0];
        await Store.CompleteAsync(new AttemptResult
        {
            TenantId = "acme",
            TaskId = first.Id,
            Attempt = first.Attempt,
            Outcome = AttemptOutcome.Succeeded,
            Output = "done",
            Usage = new UsageDelta(10, 20, 0.25m, 1),
        }, Ct);

        var usage = await tenants.GetTenantUsageAsync("acme", Start.AddHours(-1), Ct);
        Assert.Equal(3 - acme.Count, usage.Queued);
        Assert.Equal(acme.Count - 1, usage.Running);
        Assert.Equal(0.25m, usage.CostTodayUsd);
        Assert.Equal(0m, (await tenants.GetTenantUsageAsync("acme", Start.AddHours(1), Ct)).CostTodayUsd);
        Assert.Equal(new TenantUsage(0, 0, 0m), await tenants.GetTenantUsageAsync("nobody", Start.AddHours(-1), Ct));
    }
}
