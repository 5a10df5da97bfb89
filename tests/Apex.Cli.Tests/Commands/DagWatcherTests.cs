using System.Net;
using Apex.Cli.Commands;
using Apex.Cli.Tests.Client;
using Apex.Client;
using Xunit;

namespace Apex.Cli.Tests.Commands;

public sealed class DagWatcherTests
{
    private static readonly Guid DagId = Guid.Parse("0190a4a4-0000-7000-8000-0000000000aa");
    private static readonly Guid TaskA = Guid.Parse("0190a4a4-0000-7000-8000-00000000000a");
    private static readonly Guid TaskB = Guid.Parse("0190a4a4-0000-7000-8000-00000000000b");

    [Theory]
    [InlineData("succeeded", 0)]
    [InlineData("failed", 1)]
    public async Task WatchAsync_WithoutAStream_PollsUntilTheDagEnds(string outcome, int expectedExitCode)
    {
        var reads = 0;
        var handler = new StubHandler(request =>
        {
            var path = request.RequestUri!.AbsolutePath;
            if (path.EndsWith("/stream", StringComparison.Ordinal))
            {
                return StubHandler.Json(HttpStatusCode.NotFound, """{"status":404,"code":"not_found"}""", "application/problem+json");
            }
            if (path == $"/api/v1/dags/{DagId}")
            {
                var done = Interlocked.Increment(ref reads) > 1;
                return StubHandler.Json(HttpStatusCode.OK, Dag(done ? outcome : "running", done ? outcome : "running", done ? (outcome == "failed" ? "skipped" : "succeeded") : "pending"));
            }
            var finished = Volatile.Read(ref reads) > 1;
            return StubHandler.Json(HttpStatusCode.OK, $$"""
                {"items":[
                  {{Task(TaskA, "a", finished ? outcome : "running", finished ? ""","error":{"code":"provider_error","message":"boom"}""" : "")}},
                  {{Task(TaskB, "b", finished ? (outcome == "failed" ? "skipped" : "succeeded") : "pending", "")}}
                ]}
                """);
        });
        using var output = new StringWriter();
        using var error = new StringWriter();
        var client = new ApexClient(new HttpClient(handler) { BaseAddress = new Uri("http://apex.test/") });

        var exitCode = await DagWatcher.WatchAsync(client, DagId, CliRunner.Console(output, error), TimeProvider.System, TestContext.Current.CancellationToken);

        Assert.Equal(expectedExitCode, exitCode);
        var text = output.ToString();
        Assert.Contains("a     running", text, StringComparison.Ordinal);
        Assert.Contains($"a     {outcome}", text, StringComparison.Ordinal);
        Assert.Contains($"DAG pipeline {outcome} in", text, StringComparison.Ordinal);
        Assert.True(reads >= 2);
    }

    private static string Dag(string status, string a, string b) => $$"""
        {"id":"{{DagId}}","name":"pipeline","status":"{{status}}","task_count":2,"created_at":"2025-01-01T00:00:00Z",
         "tasks":[{"key":"a","id":"{{TaskA}}","status":"{{a}}"},{"key":"b","id":"{{TaskB}}","status":"{{b}}","depends_on":["a"]}]}
        """;

    private static string Task(Guid id, string key, string status, string extra) => $$"""
        {"id":"{{id}}","dag_id":"{{DagId}}","key":"{{key}}","name":"{{key}}","instruction":"x","agent":"default","status":"{{status}}",
         "attempt":{{(status == "pending" ? 0 : 1)}},"max_attempts":3,"usage":{"input_tokens":1,"output_tokens":2},"limits":{},
         "created_at":"2025-01-01T00:00:00Z","started_at":"2025-01-01T00:00:01Z"{{extra}}}
        """;
}
