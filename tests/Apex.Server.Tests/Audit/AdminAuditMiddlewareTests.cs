using Apex.Core.Errors;
using Apex.Core.Security;
using Apex.Server.Audit;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Xunit;

namespace Apex.Server.Tests.Audit;

/// <summary>
/// Admin endpoints that record nothing themselves (such as the tenants and quotas API to come) still leave an
/// <c>admin.*</c> entry for each mutating call.
/// </summary>
public sealed class AdminAuditMiddlewareTests
{
    private readonly AuditTrail _trail = new(Options.Create(new AuditOptions()), TimeProvider.System);

    [Fact]
    public async Task MutatingAdminCall_IsRecordedWithTheEndpointName()
    {
        await InvokeAsync("PUT", "/api/v1/admin/tenants/acme/quota", "SetTenantQuota", status: 200);

        var e = Assert.Single(Drain());
        Assert.Equal(("admin.set_tenant_quota", AuditOutcomes.Success, "PUT /api/v1/admin/tenants/acme/quota"), (e.Action, e.Outcome, e.Target));
    }

    [Fact]
    public async Task RefusedOrFailingAdminCall_IsRecordedAsAFailure()
    {
        await InvokeAsync("POST", "/api/v1/admin/tenants", null, status: 422);
        await Assert.ThrowsAsync<ApexConflictException>(() =>
            InvokeAsync("DELETE", "/api/v1/admin/tenants/acme", "DeleteTenant", fail: new ApexConflictException("tenant_busy", "Busy.")));

        var entries = Drain();
        Assert.Equal([("admin.request", "status 422"), ("admin.delete_tenant", "tenant_busy")], entries.Select(e => (e.Action, e.Detail)));
        Assert.All(entries, e => Assert.Equal(AuditOutcomes.Failure, e.Outcome));
    }

    [Theory]
    [InlineData("GET", "/api/v1/admin/tenants", false)]
    [InlineData("POST", "/api/v1/tasks", false)]
    [InlineData("POST", "/api/v1/admin/keys", true)]
    public async Task ReadsOtherRoutesAndSelfAuditedEndpoints_AreNotRecordedHere(string method, string path, bool audited)
    {
        await InvokeAsync(method, path, "Something", status: 200, audited: audited);

        Assert.Empty(Drain());
    }

    private async Task InvokeAsync(string method, string path, string? name, int status = 200, Exception? fail = null, bool audited = false)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;
        var metadata = new List<object>();
        if (name is not null)
        {
            metadata.Add(new EndpointNameMetadata(name));
        }
        if (audited)
        {
            metadata.Add(AuditedMetadata.Instance);
        }
        context.SetEndpoint(new Endpoint(_ => Task.CompletedTask, new EndpointMetadataCollection(metadata), name));
        var middleware = new AdminAuditMiddleware(c =>
        {
            c.Response.StatusCode = status;
            return fail is null ? Task.CompletedTask : Task.FromException(fail);
        }, _trail);
        await middleware.InvokeAsync(context);
    }

    private List<AuditEvent> Drain()
    {
        var entries = new List<AuditEvent>();
        while (_trail.Reader.TryRead(out var e))
        {
            entries.Add(e);
        }
        return entries;
    }
}
