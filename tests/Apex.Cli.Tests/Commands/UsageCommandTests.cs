using Xunit;

namespace Apex.Cli.Tests.Commands;

public sealed class UsageCommandTests
{
    private const string Json = "application/json";

    [Fact]
    public async Task Usage_ByAgentWithAWindow_AsksForItAndPrintsTheLinesAndTheRoutingSaving()
    {
        await using var server = new FakeApexServer((_, _) => (200, Json, """
            {"group_by":"agent","from":"2026-11-01T00:00:00+00:00","to":"2026-11-02T00:00:00+00:00",
             "items":[{"key":"frugal","input_tokens":1030,"output_tokens":520,"cost_usd":0.000482,"api_calls":3,"tasks":2,
                       "cascade":{"accepted":2,"rejected":1,"provider_errors":0,"cost_usd":0.000482,"top_model_cost_usd":0.007675,"saved_usd":0.007193}}],
             "total":{"input_tokens":1030,"output_tokens":520,"cost_usd":0.000482,"api_calls":3,"tasks":2,
                       "cascade":{"accepted":2,"rejected":1,"provider_errors":0,"cost_usd":0.000482,"top_model_cost_usd":0.007675,"saved_usd":0.007193}}}
            """));

        var (exitCode, output, error) = await CliRunner.InvokeAsync("usage", "--by", "agent", "--from", "2026-11-01T00:00:00Z", "--to", "2026-11-02T00:00:00Z",
            "--server", server.Url);

        Assert.Equal((0, ""), (exitCode, error));
        Assert.Contains("frugal", output, StringComparison.Ordinal);
        Assert.Contains("1,030", output, StringComparison.Ordinal);
        Assert.Contains("2 ok / 1 up", output, StringComparison.Ordinal);
        Assert.Contains("saved $0.007193", output, StringComparison.Ordinal);
        var request = Assert.Single(server.Requests);
        Assert.StartsWith("/api/v1/usage?group_by=agent&from=2026-11-01T00%3A00%3A00.0000000%2B00%3A00", request.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_UnknownGrouping_IsRefusedBeforeAnyRequest()
    {
        await using var server = new FakeApexServer((_, _) => (200, Json, "{}"));

        var (exitCode, _, error) = await CliRunner.InvokeAsync("usage", "--by", "tenant", "--server", server.Url);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("tenant", error, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }
}
