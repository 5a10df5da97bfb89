using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Apex.Agents.Pricing;
using Apex.Contracts;
using Apex.Contracts.Agents;
using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Stats;

/// <summary><c>GET /api/v1/stats</c> and <c>/api/v1/stats/routing</c> on an embedded server.</summary>
public sealed class StatsApiTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Stats_AfterADagRuns_CountsItsTasksWithLatencyAndCost()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApexAppFactory();
        using var client = factory.CreateClient();

        var dag = await client.CreateDagAsync(Dag(Node("a", "Collect."), Node("b", "Use {{tasks.a.output}}", "a"), Node("c", "Also {{tasks.a.output}}", "a")), ct);
        Assert.Equal(DagState.Succeeded, (await client.WaitForDagAsync(dag.Id, Deadline, ct)).Status);
        var tasks = await Task.WhenAll(dag.Tasks!.Select(t => client.GetTaskAsync(t.Id, ct)));

        var root = await WaitForStatsAsync(client, s => s.GetProperty("succeeded").GetInt64() >= 3, ct);

        Assert.Equal(60, root.GetProperty("window_seconds").GetInt32());
        Assert.Equal(3, root.GetProperty("succeeded").GetInt64());
        Assert.Equal(0, root.GetProperty("failed").GetInt64());
        Assert.Equal(0, root.GetProperty("error_rate").GetDouble());
        Assert.Equal(Math.Round(3.0 / 60, 3), root.GetProperty("tasks_per_second").GetDouble());
        var latency = root.GetProperty("latency_ms");
        Assert.Equal(3, latency.GetProperty("samples").GetInt32());
        Assert.True(latency.GetProperty("p95").GetDouble() >= latency.GetProperty("p50").GetDouble());
        var spent = tasks.Sum(t => t.Usage.CostUsd);
        Assert.True(spent > 0);
        Assert.Equal(Math.Round(spent * 60m, 6), root.GetProperty("cost_per_hour_usd").GetDecimal());
        var series = root.GetProperty("series").EnumerateArray().ToList();
        Assert.Equal(60, series.Count);
        Assert.Equal(3, series.Sum(p => p.GetProperty("succeeded").GetInt64()));
    }

    [Fact]
    public async Task Stats_FailedTask_CountsInTheErrorRate()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApexAppFactory();
        using var client = factory.CreateClient();

        // One token is below any answer: the task fails token_limit_exceeded, without retries.
        var failing = await client.CreateTaskAsync(TaskRequest("Too little budget.") with { Limits = new TaskLimits { TokenLimit = 1 } }, ct);
        var ok = await client.CreateTaskAsync(TaskRequest("Fine."), ct);
        Assert.Equal(TaskState.Failed, (await client.WaitForTaskAsync(failing.Id, Deadline, ct)).Status);
        Assert.Equal(TaskState.Succeeded, (await client.WaitForTaskAsync(ok.Id, Deadline, ct)).Status);

        var stats = await WaitForStatsAsync(client, s => s.GetProperty("failed").GetInt64() + s.GetProperty("succeeded").GetInt64() >= 2, ct);

        Assert.Equal((1, 1), (stats.GetProperty("succeeded").GetInt64(), stats.GetProperty("failed").GetInt64()));
        Assert.Equal(0.5, stats.GetProperty("error_rate").GetDouble());
    }

    [Fact]
    public async Task Routing_CascadeAcceptsItsFirstModel_ReportsSavingsAgainstTheLastModel()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApexAppFactory();
        using var client = factory.CreateClient();
        using var created = await client.PostAsJsonAsync("/api/v1/agents",
            new AgentRequest { Name = "frugal", Cascade = ["gpt-4o-mini", "gpt-4o"] }, ApexJsonContext.Default.AgentRequest, ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var task = await client.CreateTaskAsync(TaskRequest("Summarise the quarter.", agent: "frugal"), ct);
        var done = await client.WaitForTaskAsync(task.Id, Deadline, ct);
        Assert.Equal(TaskState.Succeeded, done.Status);
        // A lone task on the default agent is not a cascade and is not counted.
        await client.WaitForTaskAsync((await client.CreateTaskAsync(TaskRequest("No cascade."), ct)).Id, Deadline, ct);

        var routing = await GetAsync(client, "/api/v1/stats/routing", ct);

        var line = Assert.Single(routing.GetProperty("agents").EnumerateArray());
        Assert.Equal("frugal", line.GetProperty("agent").GetString());
        Assert.Equal("gpt-4o", line.GetProperty("reference_model").GetString());
        var reference = new PricingOptions().CostOf("gpt-4o", done.Usage.InputTokens, done.Usage.OutputTokens);
        Assert.Equal(done.Usage.CostUsd, line.GetProperty("actual_cost_usd").GetDecimal());
        Assert.Equal(reference, line.GetProperty("reference_cost_usd").GetDecimal());
        Assert.True(reference > done.Usage.CostUsd, "gpt-4o costs more than gpt-4o-mini for the same tokens");
        Assert.Equal(reference - done.Usage.CostUsd, routing.GetProperty("savings_usd").GetDecimal());

        var later = DateTimeOffset.UtcNow.AddHours(1).ToString("O");
        var empty = await GetAsync(client, $"/api/v1/stats/routing?from={Uri.EscapeDataString(later)}&to={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(2).ToString("O"))}", ct);
        Assert.Empty(empty.GetProperty("agents").EnumerateArray());
        Assert.Equal(0m, empty.GetProperty("savings_usd").GetDecimal());
    }

    [Fact]
    public async Task Routing_FromAfterTo_Is422()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApexAppFactory();
        using var client = factory.CreateClient();

        var problem = await Problem.ReadAsync(await client.GetAsync("/api/v1/stats/routing?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", ct), ct);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, problem.Status);
        Assert.Equal("invalid_window", problem.Code);
        Assert.Contains("from", problem.Errors.Keys);
    }

    /// <summary>The collector hears the bus asynchronously: polls until the document satisfies <paramref name="ready"/>.</summary>
    private static async Task<JsonElement> WaitForStatsAsync(HttpClient client, Func<JsonElement, bool> ready, CancellationToken ct)
    {
        var last = default(JsonElement);
        var found = await ApexHttp.PollAsync(async () =>
        {
            last = await GetAsync(client, "/api/v1/stats", ct);
            return ready(last) ? "ready" : null;
        }, Deadline, ct);
        Assert.True(found is not null, $"The stats never got there; last: {last}");
        return last;
    }

    private static async Task<JsonElement> GetAsync(HttpClient client, string path, CancellationToken ct)
    {
        using var response = await client.GetAsync(path, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        return document.RootElement.Clone();
    }
}
