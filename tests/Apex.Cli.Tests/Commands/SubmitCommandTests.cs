using Xunit;

namespace Apex.Cli.Tests.Commands;

public sealed class SubmitCommandTests
{
    private const string Json = "application/json";
    private const string Problem = "application/problem+json";

    [Fact]
    public async Task Submit_Accepted_PrintsTheDagIdAndEachTaskId()
    {
        var dagId = Guid.CreateVersion7();
        var taskIds = new[] { Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7() };
        await using var server = new FakeApexServer((method, path) => (201, Json, $$"""
            {"id":"{{dagId}}","name":"research-pipeline","status":"pending","task_count":3,"tasks":[
              {"key":"research","id":"{{taskIds[0]}}","status":"queued"},
              {"key":"analyze","id":"{{taskIds[1]}}","status":"pending","depends_on":["research"]},
              {"key":"report","id":"{{taskIds[2]}}","status":"pending","depends_on":["analyze"]}]}
            """));

        var (exitCode, output, error) = await CliRunner.InvokeAsync(
            "submit", Examples.File("research-pipeline.yaml").FullName, "--server", server.Url, "--idempotency-key", "k-1");

        Assert.Equal(0, exitCode);
        Assert.Empty(error);
        Assert.Contains($"Submitted DAG research-pipeline: {dagId}", output, StringComparison.Ordinal);
        Assert.All(taskIds, id => Assert.Contains(id.ToString(), output, StringComparison.Ordinal));
        var request = Assert.Single(server.Requests);
        Assert.Equal(("POST", "/api/v1/dags", "k-1"), (request.Method, request.PathAndQuery, request.IdempotencyKey));
        Assert.Contains("\"depends_on\":[\"research\"]", request.Body, StringComparison.Ordinal);
        Assert.Contains("\"failure_policy\":\"fail_fast\"", request.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_RejectedDag_ExitsTwoWithTheCodeAndTheNodes()
    {
        await using var server = new FakeApexServer((_, _) => (422, Problem, """
            {"title":"The DAG is invalid.","status":422,"code":"dag_cycle","detail":"The edges form a cycle: a → b → a.","nodes":["a","b","a"]}
            """));

        var (exitCode, output, error) = await CliRunner.InvokeAsync("submit", Examples.File("fail-fast.yaml").FullName, "--server", server.Url);

        Assert.Equal(2, exitCode);
        Assert.Empty(output);
        Assert.Contains("error: dag_cycle: The edges form a cycle: a → b → a.", error, StringComparison.Ordinal);
        Assert.Contains("nodes: a, b, a", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_ServerUnavailable_ExitsOne()
    {
        await using var server = new FakeApexServer((_, _) => (503, Problem, """{"title":"Unavailable","status":503,"code":"store_unavailable"}"""));

        var (exitCode, _, error) = await CliRunner.InvokeAsync("submit", Examples.File("fail-fast.yaml").FullName, "--server", server.Url);

        Assert.Equal(1, exitCode);
        Assert.Contains("error: store_unavailable: Unavailable", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_NoServer_ExitsOneSayingItCannotConnect()
    {
        var url = $"http://127.0.0.1:{FakeApexServer.FreePort()}";

        var (exitCode, _, error) = await CliRunner.InvokeAsync("submit", Examples.File("fail-fast.yaml").FullName, "--server", url);

        Assert.Equal(1, exitCode);
        Assert.Contains($"cannot reach the Apex server at {url}/", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_BadServerUrl_ExitsTwo()
    {
        var (exitCode, _, error) = await CliRunner.InvokeAsync("submit", Examples.File("fail-fast.yaml").FullName, "--server", "ftp://example");

        Assert.Equal(2, exitCode);
        Assert.Contains("is not an http:// or https:// URL", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_UnknownId_ExitsOne()
    {
        await using var server = new FakeApexServer((_, _) => (404, Problem, """{"title":"Not found","status":404,"code":"not_found"}"""));
        var id = Guid.CreateVersion7();

        var (exitCode, _, error) = await CliRunner.InvokeAsync("status", id.ToString(), "--server", server.Url);

        Assert.Equal(1, exitCode);
        Assert.Contains($"no DAG or task with id {id}", error, StringComparison.Ordinal);
        Assert.Equal(["/api/v1/dags/" + id, "/api/v1/tasks/" + id], server.Requests.Select(r => r.PathAndQuery));
    }
}
