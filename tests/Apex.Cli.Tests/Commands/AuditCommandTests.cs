using Apex.Core.Security;
using Xunit;

namespace Apex.Cli.Tests.Commands;

public sealed class AuditCommandTests
{
    private const string Json = "application/json";

    [Fact]
    public async Task Verify_ValidChain_ExitsZeroWithTheCountAndHead()
    {
        var head = new string('a', 64);
        await using var server = new FakeApexServer((_, _) => (200, Json,
            $$"""{"valid":true,"checked":42,"first_invalid_seq":null,"reason":null,"head_hash":"{{head}}"}"""));
        var key = ApiKeyFormat.Generate();

        var (exitCode, output, _) = await CliRunner.InvokeAsync("audit", "verify", "--server", server.Url, "--api-key", key);

        Assert.Equal(0, exitCode);
        Assert.Contains("valid: 42 entries checked", output, StringComparison.Ordinal);
        Assert.Contains(head, output, StringComparison.Ordinal);
        Assert.Equal(("GET", "/api/v1/admin/audit/verify"), (Assert.Single(server.Requests).Method, server.Requests[0].PathAndQuery));
        Assert.Equal($"Bearer {key}", Assert.Single(server.Authorizations));
    }

    [Fact]
    public async Task Verify_BrokenChain_ExitsOneAndNamesTheEntry()
    {
        await using var server = new FakeApexServer((_, _) => (200, Json,
            """{"valid":false,"checked":6,"first_invalid_seq":7,"reason":"Entry 7 does not match its hash: a field was changed."}"""));

        var (exitCode, _, error) = await CliRunner.InvokeAsync("audit", "verify", "--server", server.Url);

        Assert.Equal(1, exitCode);
        Assert.Contains("broken at entry 7", error, StringComparison.Ordinal);
        Assert.Contains("a field was changed", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_SendsTheFilters_AndPrintsEntriesAndTheNextCursor()
    {
        await using var server = new FakeApexServer((_, _) => (200, Json, """
            {"items":[{"seq":12,"time":"2030-01-02T03:04:05Z","actor":"key:0198c0de-0000-7000-8000-000000000001","tenant":"default",
              "action":"auth.failed","target":"GET /api/v1/tasks","outcome":"failure","detail":"The key is revoked.",
              "prev_hash":"00","hash":"11"}],"next_cursor":"12"}
            """));

        var (exitCode, output, error) = await CliRunner.InvokeAsync("audit", "list", "--action", "auth.failed", "--limit", "1", "--server", server.Url);

        Assert.Equal(0, exitCode);
        Assert.Equal("/api/v1/admin/audit?action=auth.failed&limit=1", Assert.Single(server.Requests).PathAndQuery);
        Assert.Contains("2030-01-02 03:04:05Z", output, StringComparison.Ordinal);
        Assert.Contains("The key is revoked.", output, StringComparison.Ordinal);
        Assert.Contains("--cursor 12", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_NotAnAdmin_ExitsOneWithTheProblem()
    {
        await using var server = new FakeApexServer((_, _) => (403, "application/problem+json", """
            {"title":"Not allowed.","status":403,"code":"forbidden","detail":"This route needs one of the roles: admin."}
            """));

        var (exitCode, _, error) = await CliRunner.InvokeAsync("audit", "verify", "--server", server.Url, "--api-key", ApiKeyFormat.Generate());

        Assert.Equal(1, exitCode);
        Assert.Contains("forbidden", error, StringComparison.Ordinal);
    }
}
