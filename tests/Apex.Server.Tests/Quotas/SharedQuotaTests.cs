using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Apex.Contracts;
using Apex.Contracts.Tenants;
using Apex.Core.Security;
using Apex.Engine.Tenants;
using Apex.Server.Tests.Security;
using Apex.Testing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Xunit;

namespace Apex.Server.Tests.Quotas;

/// <summary>
/// Two API servers in distributed mode over one PostgreSQL database and one Redis prefix (<c>APEX_TEST_PG</c>,
/// <c>APEX_TEST_REDIS</c>; skipped without them, failed under CI=true): a tenant's requests/s quota is one budget for
/// both, and its quota changes and suspension reach the other server through the invalidation channel, well before the
/// periodic reload (set to a minute here).
/// </summary>
public sealed class SharedQuotaTests
{
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(5);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TenantRate_IsSharedByTwoServers_AndChangesReachBoth()
    {
        var pg = TestServices.Require(TestServices.PostgresVariable, "a PostgreSQL server");
        var redisEndpoint = TestServices.Require(TestServices.RedisVariable, "a Redis server");
        await using var database = await PostgresTestDatabase.CreateAsync(pg, Ct);
        var prefix = $"apexquota:{Guid.NewGuid():N}";
        await using var a = AuthFixture.Create(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database.ConnectionString,
            ["ConnectionStrings:Redis"] = redisEndpoint,
            ["Apex:Redis:Prefix"] = prefix,
            ["Apex:Quotas:TenantCacheTtl"] = "00:01:00",
        });
        await using var b = a.Twin();
        using var platformA = a.Client(a.BootstrapKey);
        using var platformB = b.Client(b.BootstrapKey);
        Assert.Equal(HttpStatusCode.OK, (await platformB.GetAsync("/api/v1/admin/tenants", Ct)).StatusCode);

        await TaskQuotaTests.SetQuotasAsync(platformA, new TenantQuotaValues { RequestsPerSecond = 2, RequestBurst = 10 }, "acme");
        var directoryB = b.Factory.Services.GetRequiredService<TenantDirectory>();
        Assert.NotNull(await ApexHttp.PollAsync(() => Task.FromResult(directoryB.Quotas("acme").RequestsPerSecond == 2 ? "seen" : null), Propagation, Ct));

        var token = a.Token(tenant: "acme", roles: ApexRoles.Viewer);
        using var viaA = a.Client(token);
        using var viaB = b.Client(token);
        var watch = Stopwatch.StartNew();
        var accepted = new[] { 0, 0 };
        var refused = new[] { 0, 0 };
        for (var i = 0; i < 40; i++)
        {
            var server = i % 2;
            using var response = await (server == 0 ? viaA : viaB).GetAsync("/api/v1/tasks", Ct);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                accepted[server]++;
                continue;
            }
            await TaskQuotaTests.AssertQuotaProblemAsync(response, "rate_limited", "tenant_requests_per_second");
            refused[server]++;
        }
        var elapsed = watch.Elapsed;

        // One bucket: the burst plus the refill while the requests ran. Two buckets would admit about twice that.
        var budget = 10 + (int)Math.Ceiling(2 * elapsed.TotalSeconds);
        Assert.InRange(accepted.Sum(), 10, budget + 1);
        Assert.True(refused[0] > 0 && refused[1] > 0, $"Refusals by server: {refused[0]} and {refused[1]}.");

        using (var suspended = await platformA.PostAsync("/api/v1/admin/tenants/acme/suspend", null, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, suspended.StatusCode);
        }
        var refusedOnB = await ApexHttp.PollAsync(async () =>
        {
            using var response = await viaB.GetAsync("/health", Ct);
            return response.StatusCode == HttpStatusCode.Unauthorized ? "refused" : null;
        }, Propagation, Ct);
        Assert.NotNull(refusedOnB);

        await using var redis = await ConnectionMultiplexer.ConnectAsync(redisEndpoint);
        var keys = new List<RedisKey>();
        await foreach (var key in redis.GetServers()[0].KeysAsync(pattern: prefix + ":*"))
        {
            keys.Add(key);
        }
        Assert.Contains(keys, k => k.ToString() == prefix + ":quota:tenant:acme");
        await redis.GetDatabase().KeyDeleteAsync([.. keys]);
    }
}
