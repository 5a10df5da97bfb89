using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Apex.Contracts;
using Apex.Contracts.Tenants;
using Apex.Core.Security;
using Apex.Server.Tests.Security;
using Xunit;

namespace Apex.Server.Tests.Quotas;

/// <summary>The requests/s quotas of tenants and keys on the embedded server (buckets in memory).</summary>
public sealed class RequestQuotaTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TenantRate_Exceeded_Is429NamingTheQuota_AndOtherTenantsGoOn()
    {
        await using var auth = AuthFixture.Create();
        using var platform = auth.Client(auth.BootstrapKey);
        await TaskQuotaTests.SetQuotasAsync(platform, new TenantQuotaValues { RequestsPerSecond = 2, RequestBurst = 4 }, "acme");
        using var acme = auth.Client(auth.Token(tenant: "acme", roles: ApexRoles.Viewer));
        using var acmeByKey = auth.Client(await auth.CreateTenantKeyAsync("acme", Ct, ApexRoles.Viewer));
        using var beta = auth.Client(auth.Token(tenant: "beta", roles: ApexRoles.Viewer));

        var watch = Stopwatch.StartNew();
        var (accepted, refused) = (0, 0);
        for (var i = 0; i < 16; i++)
        {
            // The token and the key share the tenant's bucket.
            using var response = await (i % 2 == 0 ? acme : acmeByKey).GetAsync("/api/v1/tasks", Ct);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                accepted++;
                continue;
            }
            await TaskQuotaTests.AssertQuotaProblemAsync(response, "rate_limited", "tenant_requests_per_second");
            refused++;
            Assert.Equal(HttpStatusCode.OK, (await beta.GetAsync("/api/v1/tasks", Ct)).StatusCode);
        }
        Assert.InRange(accepted, 4, 4 + (int)Math.Ceiling(2 * watch.Elapsed.TotalSeconds) + 1);
        Assert.True(refused > 0);
    }

    [Fact]
    public async Task KeyRate_Exceeded_Is429ForThatKeyOnly()
    {
        await using var auth = AuthFixture.Create(new Dictionary<string, string?>
        {
            ["Apex:Quotas:KeyRequestsPerSecond"] = "1",
            ["Apex:Quotas:KeyRequestBurst"] = "3",
        });
        using var first = auth.Client(await auth.CreateTenantKeyAsync("acme", Ct, ApexRoles.Viewer));
        using var second = auth.Client(await auth.CreateTenantKeyAsync("acme", Ct, ApexRoles.Viewer));

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            using var response = await first.GetAsync("/api/v1/tasks", Ct);
            statuses.Add(response.StatusCode);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                await TaskQuotaTests.AssertQuotaProblemAsync(response, "rate_limited", "key_requests_per_second");
            }
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.InRange(statuses.Count(s => s == HttpStatusCode.OK), 3, 5);
        Assert.Equal(HttpStatusCode.OK, (await second.GetAsync("/api/v1/tasks", Ct)).StatusCode);
    }
}
