using System.Net;
using System.Net.Http.Json;
using Apex.Contracts;
using Apex.Contracts.Agents;
using Apex.Contracts.Tasks;
using Apex.Contracts.Usage;
using Apex.Server.Tests.Conformance;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Usage;

/// <summary><c>GET /api/v1/usage</c>, on each backend (see <see cref="ApexBackend"/>).</summary>
public abstract class UsageApiTests(ApexBackend backend)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Usage_ByModelAgentAndDag_SumsWhatTheTasksSpent()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var dag = await client.CreateDagAsync(Dag(Node("a", "Collect figures."), Node("b", "Summarise {{tasks.a.output}}", "a")), ct);
        var single = await client.CreateTaskAsync(TaskRequest("Stand alone."), ct);
        await client.WaitForDagAsync(dag.Id, Deadline, ct);
        var done = await client.WaitForTaskAsync(single.Id, Deadline, ct);
        var dagTasks = await Task.WhenAll(dag.Tasks!.Select(t => client.GetTaskAsync(t.Id, ct)));
        var spent = dagTasks.Append(done).ToList();

        var byModel = await GetAsync(client, "/api/v1/usage?group_by=model", ct);
        var simulated = Assert.Single(byModel.Items);
        Assert.Equal(("simulated", 3L, 3L), (simulated.Key, simulated.Tasks, simulated.ApiCalls));
        Assert.Equal(spent.Sum(t => t.Usage.InputTokens), simulated.InputTokens);
        Assert.Equal(spent.Sum(t => t.Usage.OutputTokens), simulated.OutputTokens);
        Assert.Equal(spent.Sum(t => t.Usage.CostUsd), simulated.CostUsd);
        Assert.Equal(simulated with { Key = null }, byModel.Total);
        Assert.Equal("model", byModel.GroupBy);

        var byDag = await GetAsync(client, "/api/v1/usage?group_by=dag", ct);
        Assert.Equal(2, byDag.Items.Single(i => i.Key == dag.Id.ToString()).Tasks);
        Assert.Equal(done.Usage.CostUsd, byDag.Items.Single(i => i.Key is null).CostUsd);

        var byAgent = await GetAsync(client, $"/api/v1/usage?group_by=agent&from={Uri.EscapeDataString(before.ToString("O"))}", ct);
        Assert.Equal(("default", 3L), (byAgent.Items.Single().Key, byAgent.Items.Single().Tasks));

        var later = await GetAsync(client, $"/api/v1/usage?from={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"))}&to={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(2).ToString("O"))}", ct);
        Assert.Empty(later.Items);
        Assert.Equal(0, later.Total.ApiCalls);
    }

    [Fact]
    public async Task Usage_OfACascade_CountsEachDecisionAndTheSavingAgainstItsTopModel()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var agent = await client.PostAsJsonAsync("/api/v1/agents", new AgentRequest
        {
            Name = "frugal",
            Provider = "simulated",
            Model = "gpt-4o",
            Cascade = ["gpt-4o-mini", "gpt-4o"],
        }, ApexJsonContext.Default.AgentRequest, ct);
        Assert.Equal(HttpStatusCode.Created, agent.StatusCode);

        var task = await client.WaitForTaskAsync((await client.CreateTaskAsync(TaskRequest("Name three primary colours.", agent: "frugal"), ct)).Id, Deadline, ct);

        Assert.Equal(TaskState.Succeeded, task.Status);
        // The decision is in the task's history, carried from the worker in distributed mode.
        var succeeded = (await client.GetTaskEventsAsync(task.Id, ct)).Single(e => e.EventType == "task_succeeded");
        var step = Assert.Single(succeeded.Data.GetProperty("cascade").EnumerateArray());
        Assert.Equal(("gpt-4o-mini", "accepted", true), (step.GetProperty("model").GetString(), step.GetProperty("outcome").GetString(), step.GetProperty("final").GetBoolean()));
        var byModel = await GetAsync(client, "/api/v1/usage?group_by=model", ct);
        var mini = byModel.Items.Single(i => i.Key == "gpt-4o-mini");
        Assert.Equal((1L, 0L), (mini.Cascade!.Accepted, mini.Cascade.Rejected));
        var pricing = new Apex.Agents.Pricing.PricingOptions();
        var baseline = pricing.CostOf("gpt-4o", task.Usage.InputTokens, task.Usage.OutputTokens);
        Assert.Equal((task.Usage.CostUsd, baseline, baseline - task.Usage.CostUsd), (mini.Cascade.CostUsd, mini.Cascade.TopModelCostUsd, mini.Cascade.SavedUsd));
        Assert.True(byModel.Total.Cascade!.SavedUsd > 0);
    }

    [Theory]
    [InlineData("group_by=tenant", "invalid_group_by", "group_by")]
    [InlineData("from=yesterday", "invalid_from", "from")]
    [InlineData("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "invalid_window", "from")]
    public async Task Usage_BadQuery_Is422WithTheField(string query, string code, string field)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();

        var problem = await Problem.ReadAsync(await server.Client.GetAsync($"/api/v1/usage?{query}", ct), ct);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, problem.Status);
        Assert.Equal(code, problem.Code);
        Assert.Contains(field, problem.Errors.Keys);
    }

    private static async Task<UsageReport> GetAsync(HttpClient client, string url, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(url, cancellationToken);
        return await response.ReadAsync(ApexJsonContext.Default.UsageReport, cancellationToken);
    }

    /// <summary>On SQLite with in-process workers.</summary>
    public sealed class Embedded(EmbeddedBackend backend) : UsageApiTests(backend), IClassFixture<EmbeddedBackend>;

    /// <summary>On PostgreSQL and Redis Streams with a worker process.</summary>
    [Collection(DistributedBackend.Collection)]
    public sealed class Distributed(DistributedBackend backend) : UsageApiTests(backend);
}
