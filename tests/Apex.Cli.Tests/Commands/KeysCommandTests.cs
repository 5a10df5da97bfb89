using Apex.Core.Security;
using Xunit;

namespace Apex.Cli.Tests.Commands;

public sealed class KeysCommandTests
{
    private const string Json = "application/json";

    private static readonly Guid KeyId = Guid.CreateVersion7();

    [Fact]
    public async Task Create_SendsNameRolesAndTheApiKey_PrintsOnlyTheNewKeyOnStdout()
    {
        var admin = ApiKeyFormat.Generate();
        var created = ApiKeyFormat.Generate();
        await using var server = new FakeApexServer((_, _) => (201, Json, $$"""{"key":"{{created}}","api_key":{{Key(null)}}}"""));

        var (exitCode, output, error) = await CliRunner.InvokeAsync("keys", "create", "--name", "ci", "--role", "operator", "--role", "approver",
            "--server", server.Url, "--api-key", admin);

        Assert.Equal(0, exitCode);
        Assert.Equal(created, output.Trim());
        Assert.Contains("not shown again", error, StringComparison.Ordinal);
        var request = Assert.Single(server.Requests);
        Assert.Equal(("POST", "/api/v1/admin/keys"), (request.Method, request.PathAndQuery));
        Assert.Contains("\"roles\":[\"operator\",\"approver\"]", request.Body, StringComparison.Ordinal);
        Assert.Equal($"Bearer {admin}", Assert.Single(server.Authorizations));
    }

    [Fact]
    public async Task Create_ForAnotherTenant_SendsTheTenant_AndSaysWhichItIs()
    {
        var created = ApiKeyFormat.Generate();
        await using var server = new FakeApexServer((_, _) => (201, Json, $$"""{"key":"{{created}}","api_key":{{Key(null).Replace("\"default\"", "\"acme\"", StringComparison.Ordinal)}}}"""));

        var (exitCode, output, error) = await CliRunner.InvokeAsync("keys", "create", "--name", "acme-admin", "--role", "admin", "--tenant", "acme",
            "--server", server.Url, "--api-key", ApiKeyFormat.Generate());

        Assert.Equal(0, exitCode);
        Assert.Equal(created, output.Trim());
        Assert.Contains("of tenant acme", error, StringComparison.Ordinal);
        Assert.Contains("\"tenant\":\"acme\"", Assert.Single(server.Requests).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_ShowsKeysWithoutSecrets()
    {
        await using var server = new FakeApexServer((_, _) => (200, Json, $$"""{"items":[{{Key("2030-01-02T03:04:05Z")}}],"next_cursor":null}"""));

        var (exitCode, output, _) = await CliRunner.InvokeAsync("keys", "list", "--server", server.Url);

        Assert.Equal(0, exitCode);
        Assert.Contains(KeyId.ToString(), output, StringComparison.Ordinal);
        Assert.Contains("apex_abcdefghij_…", output, StringComparison.Ordinal);
        Assert.Contains("2030-01-02 03:04:05Z", output, StringComparison.Ordinal);
        Assert.Null(Assert.Single(server.Authorizations));
    }

    [Fact]
    public async Task Revoke_PostsToTheKey_AndReportsA403()
    {
        await using var server = new FakeApexServer((_, _) => (403, "application/problem+json", """
            {"title":"Not allowed.","status":403,"code":"forbidden","detail":"This route needs one of the roles: admin."}
            """));

        var (exitCode, _, error) = await CliRunner.InvokeAsync("keys", "revoke", KeyId.ToString(), "--server", server.Url, "--api-key", ApiKeyFormat.Generate());

        Assert.Equal(1, exitCode);
        Assert.Contains("forbidden", error, StringComparison.Ordinal);
        Assert.Equal($"/api/v1/admin/keys/{KeyId}/revoke", Assert.Single(server.Requests).PathAndQuery);
    }

    [Fact]
    public async Task Generate_PrintsAFreshWellFormedKey()
    {
        var (exitCode, first, _) = await CliRunner.InvokeAsync("keys", "generate");
        var (_, second, _) = await CliRunner.InvokeAsync("keys", "generate");

        Assert.Equal(0, exitCode);
        Assert.True(ApiKeyFormat.TryParse(first.Trim(), out _));
        Assert.NotEqual(first, second);
    }

    private static string Key(string? revokedAt) => $$"""
        {"id":"{{KeyId}}","prefix":"abcdefghij","name":"ci","tenant":"default","roles":["operator"],"created_at":"2030-01-01T00:00:00Z",
         "revoked_at":{{(revokedAt is null ? "null" : $"\"{revokedAt}\"")}}}
        """;
}
