using System.Net;
using System.Net.Http.Json;
using Apex.Contracts;
using Apex.Contracts.Agents;
using Apex.Contracts.Tasks;
using Apex.Server.Tests.Conformance;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Agents;

/// <summary>The agent API, on each backend (see <see cref="ApexBackend"/>).</summary>
public abstract class AgentsApiTests(ApexBackend backend)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Create_ManyAgentsConcurrently_EveryOneIsListedAndRunsATask()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var names = Enumerable.Range(0, 200).Select(i => $"parallel-{i:D3}").ToList();

        // Every create reloads the catalog; a reload that read before another create must not publish after it.
        using var gate = new SemaphoreSlim(16);
        await Task.WhenAll(names.Select(async name =>
        {
            await gate.WaitAsync(ct);
            try
            {
                using var response = await client.PostAsJsonAsync("/api/v1/agents", new AgentRequest { Name = name }, ApexJsonContext.Default.AgentRequest, ct);
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            }
            finally
            {
                gate.Release();
            }
        }));

        var listed = new List<string>();
        string? cursor = null;
        do
        {
            var page = (await client.GetFromJsonAsync($"/api/v1/agents?limit=100{(cursor is null ? "" : "&cursor=" + cursor)}",
                ApexJsonContext.Default.PageAgentResponse, ct))!;
            listed.AddRange(page.Items.Select(a => a.Name));
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        Assert.Empty(names.Except(listed));
        // Submission resolves agents through the catalog: a batch naming each one is accepted only if none is missing.
        using var batch = await client.PostAsJsonAsync("/api/v1/tasks/batch",
            new CreateTaskBatchRequest { Tasks = [.. names.Select(n => TaskRequest("Say hello.", agent: n))] }, ApexJsonContext.Default.CreateTaskBatchRequest, ct);
        Assert.Equal(HttpStatusCode.Created, batch.StatusCode);
    }

    [Fact]
    public async Task Lifecycle_CreateUseUpdateDelete_BehavesAsDocumented()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;

        using var createdResponse = await client.PostAsJsonAsync("/api/v1/agents",
            new AgentRequest { Name = "researcher", SystemPrompt = "You research.", MaxConcurrency = 2 }, ApexJsonContext.Default.AgentRequest, ct);
        Assert.Equal(HttpStatusCode.Created, createdResponse.StatusCode);
        var agent = await createdResponse.ReadAsync(ApexJsonContext.Default.AgentResponse, ct);
        Assert.Equal($"/api/v1/agents/{agent.Id}", createdResponse.Headers.Location?.OriginalString);
        Assert.Equal(("researcher", "simulated", "You research.", 2), (agent.Name, agent.Provider, agent.SystemPrompt, agent.MaxConcurrency));

        var task = await client.CreateTaskAsync(TaskRequest("Find sources.", agent: "researcher"), ct);
        var done = await client.WaitForTaskAsync(task.Id, Deadline, ct);
        Assert.Equal(TaskState.Succeeded, done.Status);
        Assert.Equal("researcher", done.Agent);

        var withStats = await GetAsync(client, $"/api/v1/agents/{agent.Id}?include_stats=true", ct);
        Assert.NotNull(withStats.Stats);
        Assert.Equal(1, withStats.Stats.Tasks.GetValueOrDefault("succeeded"));
        Assert.Equal(done.Usage.InputTokens, withStats.Stats.InputTokens);
        Assert.Equal(done.Usage.OutputTokens, withStats.Stats.OutputTokens);
        Assert.Null((await GetAsync(client, $"/api/v1/agents/{agent.Id}", ct)).Stats);

        using var updateResponse = await client.PutAsJsonAsync($"/api/v1/agents/{agent.Id}",
            new AgentRequest { SystemPrompt = "You research carefully.", MaxConcurrency = 4 }, ApexJsonContext.Default.AgentRequest, ct);
        Assert.Equal(HttpStatusCode.OK, updateResponse.StatusCode);
        var updated = await GetAsync(client, $"/api/v1/agents/{agent.Id}", ct);
        Assert.Equal(("researcher", "You research carefully.", 4), (updated.Name, updated.SystemPrompt, updated.MaxConcurrency));
        Assert.True(updated.UpdatedAt >= agent.UpdatedAt);

        using var deleteResponse = await client.DeleteAsync($"/api/v1/agents/{agent.Id}", ct);
        Assert.Equal(HttpStatusCode.NoContent, deleteResponse.StatusCode);
        var gone = await Problem.ReadAsync(await client.GetAsync($"/api/v1/agents/{agent.Id}", ct), ct);
        Assert.Equal(HttpStatusCode.NotFound, gone.Status);
        var refused = await Problem.ReadAsync(
            await client.PostAsJsonAsync("/api/v1/tasks", TaskRequest("Again.", agent: "researcher"), ApexJsonContext.Default.CreateTaskRequest, ct), ct);
        Assert.Equal("unknown_agent", refused.Code);
    }

    [Fact]
    public async Task Create_DuplicateName_Returns409AgentNameTaken()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var request = new AgentRequest { Name = "twin" };
        (await client.PostAsJsonAsync("/api/v1/agents", request, ApexJsonContext.Default.AgentRequest, ct)).EnsureSuccessStatusCode();

        var problem = await Problem.ReadAsync(await client.PostAsJsonAsync("/api/v1/agents", request, ApexJsonContext.Default.AgentRequest, ct), ct);

        Assert.Equal(HttpStatusCode.Conflict, problem.Status);
        Assert.Equal("agent_name_taken", problem.Code);
        Assert.Single(await ListAsync(client, ct), a => a.Name == "twin");
    }

    [Fact]
    public async Task Delete_DefaultAgent_Returns409AndKeepsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var defaultAgent = (await ListAsync(client, ct)).Single(a => a.Name == "default");

        var problem = await Problem.ReadAsync(await client.DeleteAsync($"/api/v1/agents/{defaultAgent.Id}", ct), ct);

        Assert.Equal(HttpStatusCode.Conflict, problem.Status);
        Assert.Equal("agent_protected", problem.Code);
        Assert.Contains(await ListAsync(client, ct), a => a.Id == defaultAgent.Id);
        Assert.Equal(TaskState.Succeeded, (await client.WaitForTaskAsync((await client.CreateTaskAsync(TaskRequest("Still here."), ct)).Id, Deadline, ct)).Status);
    }

    [Fact]
    public async Task Create_InvalidFields_Returns422WithEachField()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;

        var problem = await Problem.ReadAsync(await client.PostAsJsonAsync("/api/v1/agents",
            new AgentRequest { Name = "bad name", Provider = "nowhere", MaxConcurrency = 0 }, ApexJsonContext.Default.AgentRequest, ct), ct);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, problem.Status);
        Assert.Equal("validation_failed", problem.Code);
        Assert.Equal(["max_concurrency", "name", "provider"], problem.Errors.Keys.Order(StringComparer.Ordinal));
    }

    private static async Task<AgentResponse> GetAsync(HttpClient client, string url, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(url, cancellationToken);
        return await response.ReadAsync(ApexJsonContext.Default.AgentResponse, cancellationToken);
    }

    private static async Task<IReadOnlyList<AgentResponse>> ListAsync(HttpClient client, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync("/api/v1/agents", cancellationToken);
        return (await response.ReadAsync(ApexJsonContext.Default.PageAgentResponse, cancellationToken)).Items;
    }

    /// <summary>On SQLite with in-process workers.</summary>
    public sealed class Embedded(EmbeddedBackend backend) : AgentsApiTests(backend), IClassFixture<EmbeddedBackend>;

    /// <summary>On PostgreSQL and Redis Streams with a worker process.</summary>
    [Collection(DistributedBackend.Collection)]
    public sealed class Distributed(DistributedBackend backend) : AgentsApiTests(backend);
}
