using System.Net;
using System.Net.Http.Json;
using Apex.Contracts;
using Apex.Contracts.Tenants;
using Apex.Core.Security;
using Apex.Server.Tests.Security;
using Apex.Testing;
using Xunit;

namespace Apex.Server.Tests.Quotas;

/// <summary>The tenants admin API: who may read and change what, and suspension's effect on keys and tokens.</summary>
public sealed class TenantsApiTests : IAsyncLifetime
{
    private readonly AuthFixture _auth = AuthFixture.Create(new Dictionary<string, string?>
    {
        ["Apex:Quotas:QueuedTasks"] = "1000",
        ["Apex:Quotas:TenantRequestsPerSecond"] = "500",
    });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _auth.DisposeAsync();

    [Fact]
    public async Task OpenServer_EveryCallerIsAPlatformAdmin_AndManagesTenants()
    {
        // No credential can exist on an open server: its callers are the default tenant's admins (docs/security.md).
        await using var open = new ApexAppFactory();
        using var client = open.CreateClient();
        using var set = await client.PutAsJsonAsync("/api/v1/admin/tenants/acme/quotas", new TenantQuotaValues { QueuedTasks = 7 },
            ApexJsonContext.Default.TenantQuotaValues, Ct);
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        using var list = await client.GetAsync("/api/v1/admin/tenants", Ct);
        Assert.Contains("acme", await list.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlatformAdmin_SetsQuotas_TenantAdminReadsOwnOnly()
    {
        using var platform = _auth.Client(_auth.BootstrapKey);
        using var response = await platform.PutAsJsonAsync("/api/v1/admin/tenants/acme/quotas",
            new TenantQuotaValues { QueuedTasks = 10, ConcurrentRuns = 3, RequestsPerSecond = 0, CostPerDayUsd = 2.5m },
            ApexJsonContext.Default.TenantQuotaValues, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var set = await response.ReadAsync(ApexJsonContext.Default.TenantResponse, Ct);
        Assert.Equal(new TenantQuotaValues { QueuedTasks = 10, ConcurrentRuns = 3, CostPerDayUsd = 2.5m }, set.Quotas);
        Assert.Equal(0, set.Overrides.RequestsPerSecond);

        using var acmeAdmin = _auth.Client(_auth.Token(tenant: "acme", roles: ApexRoles.Admin));
        var own = await acmeAdmin.GetFromJsonAsync("/api/v1/admin/tenants/acme", ApexJsonContext.Default.TenantResponse, Ct);
        Assert.Equal("active", own!.State);
        Assert.Equal(10, own.Quotas.QueuedTasks);
        Assert.Equal(new TenantUsageResponse { Queued = 0, Running = 0, CostTodayUsd = 0 }, own.Usage);

        var untouched = await platform.GetFromJsonAsync("/api/v1/admin/tenants/zeta", ApexJsonContext.Default.TenantResponse, Ct);
        Assert.Equal(new TenantQuotaValues { QueuedTasks = 1000, RequestsPerSecond = 500, RequestBurst = null }, untouched!.Quotas);
        Assert.Null(untouched.UpdatedAt);

        // Another tenant is not found for a tenant's admin, exactly like a tenant that does not exist.
        await AssertProblemAsync(await acmeAdmin.GetAsync("/api/v1/admin/tenants/beta", Ct), HttpStatusCode.NotFound, "tenant_not_found");
        await AssertProblemAsync(await acmeAdmin.PostAsync("/api/v1/admin/tenants/beta/suspend", null, Ct), HttpStatusCode.NotFound, "tenant_not_found");
        await AssertProblemAsync(await acmeAdmin.GetAsync("/api/v1/admin/tenants/Not%20Valid", Ct), HttpStatusCode.NotFound, "tenant_not_found");
        // Its own tenant's quotas and state, and the listing, are the platform's.
        await AssertProblemAsync(await acmeAdmin.PutAsJsonAsync("/api/v1/admin/tenants/acme/quotas", new TenantQuotaValues(),
            ApexJsonContext.Default.TenantQuotaValues, Ct), HttpStatusCode.Forbidden, "forbidden");
        await AssertProblemAsync(await acmeAdmin.PostAsync("/api/v1/admin/tenants/acme/suspend", null, Ct), HttpStatusCode.Forbidden, "forbidden");
        await AssertProblemAsync(await acmeAdmin.GetAsync("/api/v1/admin/tenants", Ct), HttpStatusCode.Forbidden, "forbidden");
        using var operatorOfAcme = _auth.Client(_auth.Token(tenant: "acme", roles: ApexRoles.Operator));
        await AssertProblemAsync(await operatorOfAcme.GetAsync("/api/v1/admin/tenants/acme", Ct), HttpStatusCode.Forbidden, "forbidden");

        var listed = await platform.GetFromJsonAsync("/api/v1/admin/tenants", ApexJsonContext.Default.PageTenantResponse, Ct);
        Assert.Equal(["acme"], listed!.Items.Select(t => t.Tenant));
    }

    [Fact]
    public async Task SetQuotas_Negative_Is422_NamingTheFields()
    {
        using var platform = _auth.Client(_auth.BootstrapKey);
        var problem = await AssertProblemAsync(await platform.PutAsJsonAsync("/api/v1/admin/tenants/acme/quotas",
            new TenantQuotaValues { QueuedTasks = -1, RequestsPerSecond = -2 }, ApexJsonContext.Default.TenantQuotaValues, Ct),
            HttpStatusCode.UnprocessableEntity, "invalid_quotas");
        Assert.Equal(["queued_tasks", "requests_per_second"], problem.Errors.Keys.Order());
    }

    [Fact]
    public async Task Suspend_RefusesTheTenantsKeysAndTokensWith401_ResumeRestores()
    {
        var key = await _auth.CreateTenantKeyAsync("acme", Ct, ApexRoles.Viewer);
        using var byKey = _auth.Client(key);
        using var byToken = _auth.Client(_auth.Token(tenant: "acme", roles: ApexRoles.Viewer));
        using var otherTenant = _auth.Client(_auth.Token(tenant: "beta", roles: ApexRoles.Viewer));
        using var platform = _auth.Client(_auth.BootstrapKey);
        Assert.Equal(HttpStatusCode.OK, (await byKey.GetAsync("/api/v1/tasks", Ct)).StatusCode);

        using (var suspended = await platform.PostAsync("/api/v1/admin/tenants/acme/suspend", null, Ct))
        {
            Assert.Equal("suspended", (await suspended.ReadAsync(ApexJsonContext.Default.TenantResponse, Ct)).State);
        }

        foreach (var client in new[] { byKey, byToken })
        {
            foreach (var path in new[] { "/api/v1/tasks", "/api/v1/admin/tenants/acme", "/health" })
            {
                using var refused = await client.GetAsync(path, Ct);
                var problem = await AssertProblemAsync(refused, HttpStatusCode.Unauthorized, "invalid_credentials");
                Assert.DoesNotContain("suspend", problem.Body.ToString(), StringComparison.OrdinalIgnoreCase);
            }
        }
        Assert.Equal(HttpStatusCode.OK, (await otherTenant.GetAsync("/api/v1/tasks", Ct)).StatusCode);

        using (var resumed = await platform.PostAsync("/api/v1/admin/tenants/acme/resume", null, Ct))
        {
            Assert.Equal("active", (await resumed.ReadAsync(ApexJsonContext.Default.TenantResponse, Ct)).State);
        }
        Assert.Equal(HttpStatusCode.OK, (await byKey.GetAsync("/api/v1/tasks", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await byToken.GetAsync("/api/v1/tasks", Ct)).StatusCode);
    }

    [Fact]
    public async Task Suspend_TheDefaultTenant_IsAConflict()
    {
        using var platform = _auth.Client(_auth.BootstrapKey);
        await AssertProblemAsync(await platform.PostAsync("/api/v1/admin/tenants/default/suspend", null, Ct), HttpStatusCode.Conflict, "tenant_is_platform");
        Assert.Equal(HttpStatusCode.OK, (await platform.GetAsync("/api/v1/tasks", Ct)).StatusCode);
    }

    private static async Task<Problem> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        using (response)
        {
            var problem = await Problem.ReadAsync(response, Ct);
            Assert.Equal(status, problem.Status);
            Assert.Equal("application/problem+json", problem.ContentType);
            Assert.Equal(code, problem.Code);
            return problem;
        }
    }
}
