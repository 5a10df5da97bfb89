using Xunit;

namespace Apex.Cli.Tests.Commands;

public sealed class TenantsCommandTests
{
    private const string Json = "application/json";

    private const string Acme = """
        {"tenant":"acme","state":"active","quotas":{"requests_per_second":50,"queued_tasks":1000},
         "overrides":{"requests_per_second":50,"concurrent_runs":0},"usage":{"queued":12,"running":3,"cost_today_usd":1.25}}
        """;

    [Fact]
    public async Task SetQuota_SendsOnlyTheGivenOverrides_AndShowsTheQuotasInForce()
    {
        await using var server = new FakeApexServer((_, _) => (200, Json, Acme));

        var (exitCode, output, _) = await CliRunner.InvokeAsync("tenants", "set-quota", "acme", "--requests-per-second", "50", "--concurrent-runs", "0",
            "--server", server.Url);

        Assert.Equal(0, exitCode);
        var request = Assert.Single(server.Requests);
        Assert.Equal(("PUT", "/api/v1/admin/tenants/acme/quotas"), (request.Method, request.PathAndQuery));
        Assert.Equal("""{"requests_per_second":50,"concurrent_runs":0}""", request.Body);
        Assert.Contains("unlimited", output, StringComparison.Ordinal);
        Assert.Contains("1000", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_PrintsStateQuotasAndUsage()
    {
        await using var server = new FakeApexServer((_, _) => (200, Json, Acme));

        var (exitCode, output, _) = await CliRunner.InvokeAsync("tenants", "show", "acme", "--server", server.Url);

        Assert.Equal(0, exitCode);
        Assert.Equal("/api/v1/admin/tenants/acme", Assert.Single(server.Requests).PathAndQuery);
        Assert.Contains("acme", output, StringComparison.Ordinal);
        Assert.Contains("12 queued, 3 running, $1.25 spent today", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Suspend_ReportsThe404OfAnotherTenant()
    {
        await using var server = new FakeApexServer((_, _) => (404, "application/problem+json", """
            {"title":"Not found.","status":404,"code":"tenant_not_found","detail":"No tenant with id 'beta'."}
            """));

        var (exitCode, _, error) = await CliRunner.InvokeAsync("tenants", "suspend", "beta", "--server", server.Url);

        Assert.Equal(1, exitCode);
        Assert.Contains("tenant_not_found", error, StringComparison.Ordinal);
        Assert.Equal(("POST", "/api/v1/admin/tenants/beta/suspend"), (Assert.Single(server.Requests).Method, server.Requests[0].PathAndQuery));
    }
}
