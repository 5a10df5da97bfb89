using System.Net;
using System.Net.Http.Json;
using Apex.Contracts;
using Apex.Contracts.Audit;
using Apex.Contracts.Tasks;
using Apex.Core.Security;
using Apex.Server.Tests.Security;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Audit;

/// <summary>The hooks: each security-relevant action of a real server becomes an entry of its audit log.</summary>
public sealed class AuditTrailTests : IAsyncLifetime
{
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";

    private readonly AuthFixture _auth = AuthFixture.Create(new Dictionary<string, string?>
    {
        ["Apex:Approvals:Policies:0:Agent"] = "gated",
        ["Apex:Approvals:Policies:0:Always"] = "true",
        ["Apex:Approvals:Policies:0:Risk"] = "high",
    });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _auth.DisposeAsync();

    [Fact]
    public async Task FailedAuthentication_IsRecordedWithActorTenantOutcomeAndTraceId()
    {
        var created = await _auth.CreateKeyAsync(Ct, ApexRoles.Viewer);
        using (var admin = _auth.Client(_auth.BootstrapKey))
        {
            (await admin.PostAsync($"/api/v1/admin/keys/{created.ApiKey.Id}/revoke", null, Ct)).EnsureSuccessStatusCode();
        }

        using var revoked = Traced(_auth.Client(created.Key));
        Assert.Equal(HttpStatusCode.Unauthorized, (await revoked.GetAsync("/api/v1/tasks?access_token=secret", Ct)).StatusCode);
        using var expiredToken = _auth.Client(_auth.Token(d => (d.NotBefore, d.Expires) = (DateTime.UtcNow.AddHours(-2), DateTime.UtcNow.AddHours(-1))));
        Assert.Equal(HttpStatusCode.Unauthorized, (await expiredToken.GetAsync("/api/v1/dags", Ct)).StatusCode);

        var entry = await WaitForEntryAsync(e => e.Action == AuditActions.AuthFailed && e.Target == "GET /api/v1/tasks");
        Assert.Equal(($"key:{created.ApiKey.Id}", "default", AuditOutcomes.Failure, "The key is revoked."), (entry.Actor, entry.Tenant, entry.Outcome, entry.Detail));
        Assert.Equal(TraceId, entry.TraceId);
        Assert.Single(await ListAsync(), e => e.Action == AuditActions.AuthFailed && e.Target == "GET /api/v1/tasks");
        var jwt = await WaitForEntryAsync(e => e.Action == AuditActions.AuthFailed && e.Target == "GET /api/v1/dags");
        Assert.Equal(("anonymous", "JWT: expired"), (jwt.Actor, jwt.Detail));
        Assert.DoesNotContain(created.Key, await ListJsonAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyCreationAndRevocation_AreRecorded()
    {
        using var admin = Traced(_auth.Client(_auth.BootstrapKey));
        using var response = await admin.PostAsJsonAsync("/api/v1/admin/keys", new Contracts.Keys.CreateApiKeyRequest { Name = "ci", Roles = ["operator"] },
            ApexJsonContext.Default.CreateApiKeyRequest, Ct);
        var created = (await response.Content.ReadFromJsonAsync(ApexJsonContext.Default.CreatedApiKeyResponse, Ct))!;
        (await admin.PostAsync($"/api/v1/admin/keys/{created.ApiKey.Id}/revoke", null, Ct)).EnsureSuccessStatusCode();
        var missing = Guid.NewGuid();
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync($"/api/v1/admin/keys/{missing}/revoke", null, Ct)).StatusCode);

        var create = await WaitForEntryAsync(e => e.Action == AuditActions.KeyCreated);
        Assert.Equal(("bootstrap", "default", AuditOutcomes.Success, $"key:{created.ApiKey.Id}", "name ci, roles operator", TraceId),
            (create.Actor, create.Tenant, create.Outcome, create.Target, create.Detail, create.TraceId));
        var revoke = await WaitForEntryAsync(e => e.Action == AuditActions.KeyRevoked && e.Target == $"key:{created.ApiKey.Id}");
        Assert.Equal(("bootstrap", AuditOutcomes.Success, TraceId), (revoke.Actor, revoke.Outcome, revoke.TraceId));
        var failed = await WaitForEntryAsync(e => e.Action == AuditActions.KeyRevoked && e.Target == $"key:{missing}");
        Assert.Equal((AuditOutcomes.Failure, "api_key_not_found"), (failed.Outcome, failed.Detail));
        Assert.DoesNotContain(created.Key, await ListJsonAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApprovalDecision_IsRecordedWithTheDecidingKey()
    {
        var approver = await _auth.CreateKeyAsync(Ct, ApexRoles.Approver);
        using var admin = _auth.Client(_auth.BootstrapKey);
        await admin.CreateAgentAsync("gated", Ct);
        var task = await admin.CreateTaskAsync(TaskRequest("Gated work.", agent: "gated"), Ct);
        var pending = await admin.WaitForPendingApprovalAsync(task.Id, Ct);

        using var decider = Traced(_auth.Client(approver.Key));
        (await decider.DecideApprovalAsync(pending.Id, "approve", "fine", Ct)).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Conflict, (await decider.DecideApprovalAsync(pending.Id, "reject", null, Ct)).StatusCode);

        var approved = await WaitForEntryAsync(e => e.Action == AuditActions.ApprovalApproved);
        Assert.Equal(($"key:{approver.ApiKey.Id}", "default", AuditOutcomes.Success, $"approval:{pending.Id}", TraceId),
            (approved.Actor, approved.Tenant, approved.Outcome, approved.Target, approved.TraceId));
        Assert.Contains(task.Id.ToString(), approved.Detail, StringComparison.Ordinal);
        var late = await WaitForEntryAsync(e => e.Action == AuditActions.ApprovalRejected);
        Assert.Equal((AuditOutcomes.Failure, "approval_not_pending", $"approval:{pending.Id}"), (late.Outcome, late.Detail, late.Target));
    }

    [Fact]
    public async Task ViewerOnAMutatingRoute_IsRecordedAsDenied()
    {
        var viewer = await _auth.CreateKeyAsync(Ct, ApexRoles.Viewer);
        using var client = Traced(_auth.Client(viewer.Key));
        using var refused = await client.PostAsJsonAsync("/api/v1/tasks", TaskRequest("Not allowed."), ApexJsonContext.Default.CreateTaskRequest, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        var denied = await WaitForEntryAsync(e => e.Action == AuditActions.AuthzDenied);
        Assert.Equal(($"key:{viewer.ApiKey.Id}", AuditOutcomes.Denied, "POST /api/v1/tasks", TraceId), (denied.Actor, denied.Outcome, denied.Target, denied.TraceId));
        Assert.Contains("operator", denied.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_ShowsOnlyTheCallersTenant_AndOnlyToAdmins()
    {
        using var acmeAdmin = await AcmeAdminWhoMadeAKeyAsync("acme-ci");
        await _auth.CreateKeyAsync(Ct, ApexRoles.Operator);

        var acme = await WaitForEntryAsync(e => e.Action == AuditActions.KeyCreated, acmeAdmin);
        Assert.Equal(("jwt:user-1", "acme"), (acme.Actor, acme.Tenant));
        var own = await WaitForEntryAsync(e => e.Action == AuditActions.KeyCreated);
        Assert.Equal("default", own.Tenant);
        Assert.DoesNotContain("acme", await ListJsonAsync(), StringComparison.Ordinal);
        var operatorKey = await _auth.CreateKeyAsync(Ct, ApexRoles.Operator);
        using var notAdmin = _auth.Client(operatorKey.Key);
        Assert.Equal(HttpStatusCode.Forbidden, (await notAdmin.GetAsync("/api/v1/admin/audit", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await notAdmin.GetAsync("/api/v1/admin/audit/verify", Ct)).StatusCode);
    }

    [Fact]
    public async Task OtherTenants_AndTheWholeChain_AreForPlatformAdminsOnly()
    {
        using var acmeAdmin = await AcmeAdminWhoMadeAKeyAsync("acme-ops");

        // A tenant's admin: its own log, not another's, not the installation's chain.
        Assert.Equal(HttpStatusCode.Forbidden, (await acmeAdmin.GetAsync("/api/v1/admin/audit?tenant=default", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await acmeAdmin.GetAsync("/api/v1/admin/audit/verify", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await acmeAdmin.GetAsync("/api/v1/admin/audit?tenant=acme", Ct)).StatusCode);

        // The platform admin reads Acme's.
        using var platform = _auth.Client(_auth.BootstrapKey);
        // Entries are written behind the request: wait for it.
        var acme = await ApexHttp.PollAsync(async () =>
        {
            var page = (await platform.GetFromJsonAsync("/api/v1/admin/audit?tenant=acme&action=key.created", ApexJsonContext.Default.PageAuditEntryResponse, Ct))!;
            return page.Items.Count > 0 ? page : null;
        }, TimeSpan.FromSeconds(10), Ct);
        Assert.NotNull(acme);
        Assert.Contains(acme.Items, e => e.Tenant == "acme" && e.Action == AuditActions.KeyCreated);
        Assert.All(acme.Items, e => Assert.Equal("acme", e.Tenant));
    }

    [Fact]
    public async Task QuotaChanges_AndSuspension_AreRecordedUnderTheTenant_WithTheNewValues()
    {
        using var platform = _auth.Client(_auth.BootstrapKey);
        using (var set = await platform.PutAsJsonAsync("/api/v1/admin/tenants/acme/quotas",
            new Contracts.Tenants.TenantQuotaValues { QueuedTasks = 50, CostPerDayUsd = 2.5m }, ApexJsonContext.Default.TenantQuotaValues, Ct))
        {
            set.EnsureSuccessStatusCode();
        }
        (await platform.PostAsync("/api/v1/admin/tenants/acme/suspend", null, Ct)).EnsureSuccessStatusCode();
        (await platform.PostAsync("/api/v1/admin/tenants/acme/resume", null, Ct)).EnsureSuccessStatusCode();
        // A tenant's own admin may not change its quotas: refused, and recorded as such.
        using var acmeAdmin = _auth.Client(_auth.Token(tenant: "acme", roles: [ApexRoles.Admin]));
        using (var refused = await acmeAdmin.PutAsJsonAsync("/api/v1/admin/tenants/acme/quotas",
            new Contracts.Tenants.TenantQuotaValues { QueuedTasks = 1_000_000 }, ApexJsonContext.Default.TenantQuotaValues, Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        var changed = await WaitForEntryAsync(e => e.Action == AuditActions.QuotaChanged && e.Outcome == AuditOutcomes.Success, acmeAdmin);
        Assert.Equal(("bootstrap", "acme", "tenant:acme"), (changed.Actor, changed.Tenant, changed.Target));
        Assert.Contains("queued_tasks=50", changed.Detail, StringComparison.Ordinal);
        Assert.Contains("cost_per_day_usd=2.5", changed.Detail, StringComparison.Ordinal);
        await WaitForEntryAsync(e => e.Action == AuditActions.TenantSuspended && e.Outcome == AuditOutcomes.Success, acmeAdmin);
        await WaitForEntryAsync(e => e.Action == AuditActions.TenantResumed && e.Outcome == AuditOutcomes.Success, acmeAdmin);
        var denied = await WaitForEntryAsync(e => e.Action == AuditActions.QuotaChanged && e.Outcome != AuditOutcomes.Success, acmeAdmin);
        Assert.Equal(("jwt:user-1", "acme"), (denied.Actor, denied.Tenant));
    }

    /// <summary>A client of an admin of tenant <c>acme</c> (a JWT) that has created a viewer key named <paramref name="name"/>.</summary>
    private async Task<HttpClient> AcmeAdminWhoMadeAKeyAsync(string name)
    {
        var acmeAdmin = _auth.Client(_auth.Token(tenant: "acme", roles: [ApexRoles.Admin]));
        using var created = await acmeAdmin.PostAsJsonAsync("/api/v1/admin/keys", new Contracts.Keys.CreateApiKeyRequest { Name = name, Roles = ["viewer"] },
            ApexJsonContext.Default.CreateApiKeyRequest, Ct);
        created.EnsureSuccessStatusCode();
        return acmeAdmin;
    }

    [Fact]
    public async Task Verify_AfterRealTraffic_IsValid()
    {
        await _auth.CreateKeyAsync(Ct, ApexRoles.Viewer);
        await WaitForEntryAsync(e => e.Action == AuditActions.KeyCreated);

        using var admin = _auth.Client(_auth.BootstrapKey);
        var result = (await admin.GetFromJsonAsync("/api/v1/admin/audit/verify", ApexJsonContext.Default.AuditVerificationResponse, Ct))!;

        Assert.True(result.Valid, result.Reason);
        Assert.True(result.Checked >= 1);
        Assert.Equal(64, result.HeadHash?.Length);
    }

    /// <summary>Sends a W3C trace context with every request, so the entries' trace ids can be checked.</summary>
    private static HttpClient Traced(HttpClient client)
    {
        client.DefaultRequestHeaders.Add("traceparent", $"00-{TraceId}-00f067aa0ba902b7-01");
        return client;
    }

    private async Task<IReadOnlyList<AuditEntryResponse>> ListAsync()
    {
        using var admin = _auth.Client(_auth.BootstrapKey);
        return (await admin.GetFromJsonAsync("/api/v1/admin/audit?limit=500", ApexJsonContext.Default.PageAuditEntryResponse, Ct))!.Items;
    }

    private async Task<string> ListJsonAsync()
    {
        using var admin = _auth.Client(_auth.BootstrapKey);
        return await admin.GetStringAsync("/api/v1/admin/audit?limit=500", Ct);
    }

    /// <summary>The newest entry of the caller's tenant that matches, once the writer appended it (it writes in the background).</summary>
    private async Task<AuditEntryResponse> WaitForEntryAsync(Func<AuditEntryResponse, bool> match, HttpClient? caller = null)
    {
        using var own = caller is null ? _auth.Client(_auth.BootstrapKey) : null;
        var client = caller ?? own!;
        var entry = await ApexHttp.PollAsync(async () =>
        {
            var page = await client.GetFromJsonAsync("/api/v1/admin/audit?limit=500", ApexJsonContext.Default.PageAuditEntryResponse, Ct);
            return page!.Items.FirstOrDefault(match);
        }, TimeSpan.FromSeconds(10), Ct);
        return entry ?? throw new Xunit.Sdk.XunitException("No matching audit entry was recorded within 10 s.");
    }
}
