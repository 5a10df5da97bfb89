using System.Net;
using System.Net.Http.Json;
using Apex.Contracts;
using Apex.Contracts.Agents;
using Apex.Contracts.Common;
using Apex.Contracts.Tasks;
using Apex.Server.Tests.Conformance;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Tasks;

/// <summary>The task API, on each backend (see <see cref="ApexBackend"/>).</summary>
public abstract partial class TasksApiTests(ApexBackend backend)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Create_ValidTask_Returns201WithLocationAndRunsToSucceeded()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var request = TaskRequest("Summarize the quarter.", priority: 3) with
        {
            Name = "summary",
            Metadata = new() { ["team"] = "research", ["ticket"] = "APX-1" },
            Limits = new TaskLimits { TokenLimit = 5_000 },
        };

        using var response = await client.PostAsJsonAsync("/api/v1/tasks", request, ApexJsonContext.Default.CreateTaskRequest, ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.ReadAsync(ApexJsonContext.Default.TaskResponse, ct);
        Assert.Equal($"/api/v1/tasks/{created.Id}", response.Headers.Location?.OriginalString);
        Assert.Equal("summary", created.Name);
        Assert.Equal("default", created.Agent);
        Assert.Equal(3, created.Priority);
        Assert.Null(created.DagId);
        Assert.Equal(5_000, created.Limits.TokenLimit);
        Assert.NotNull(created.Limits.TimeLimitSeconds);
        var done = await client.WaitForTaskAsync(created.Id, Deadline, ct);
        Assert.Equal(TaskState.Succeeded, done.Status);
        Assert.Equal(1, done.Attempt);
        Assert.StartsWith("[simulated]", done.Output, StringComparison.Ordinal);
        Assert.True(done.Usage.InputTokens > 0 && done.Usage.OutputTokens > 0 && done.Usage.ApiCalls == 1, $"usage {done.Usage}");
        Assert.Equal(request.Metadata, done.Metadata);
        Assert.True(done.CreatedAt <= done.StartedAt && done.StartedAt <= done.FinishedAt);
    }

    [Fact]
    public async Task List_Filters_ReturnOnlyMatchingTasks()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        await CreateAgentAsync(client, "lister", ct);
        var onAgent = await client.CreateTaskAsync(TaskRequest("On the lister agent.", agent: "lister"), ct);
        var failing = await client.CreateTaskAsync(TaskRequest("Fail. [[simulate:error]]") with { MaxAttempts = 1 }, ct);
        var plain = await client.CreateTaskAsync(TaskRequest("Plain."), ct);
        var dag = await client.CreateDagAsync(Dag(Node("a", "A."), Node("b", "B.", "a")), ct);
        foreach (var id in new[] { onAgent.Id, failing.Id, plain.Id })
        {
            await client.WaitForTaskAsync(id, Deadline, ct);
        }
        await client.WaitForDagAsync(dag.Id, Deadline, ct);

        Assert.Equal([onAgent.Id], (await ListAsync(client, "agent=lister", ct)).Select(t => t.Id));
        Assert.Equal([failing.Id], (await ListAsync(client, "status=failed", ct)).Select(t => t.Id));
        Assert.Equal(dag.Tasks!.Select(t => t.Id).Order(), (await ListAsync(client, $"dag_id={dag.Id}", ct)).Select(t => t.Id).Order());
        Assert.Equal(new[] { onAgent.Id, plain.Id }.Concat(dag.Tasks!.Select(t => t.Id)).Order(),
            (await ListAsync(client, "status=succeeded", ct)).Select(t => t.Id).Order());
        Assert.Empty(await ListAsync(client, "status=succeeded&agent=lister&dag_id=" + dag.Id, ct));
    }

    [Fact]
    public async Task List_SevenTasksPagedByThree_ReturnsThreePagesNewestFirstWithoutDuplicates()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var created = new List<Guid>();
        for (var i = 0; i < 7; i++)
        {
            created.Add((await client.CreateTaskAsync(TaskRequest($"Task {i}."), ct)).Id);
        }

        var pages = new List<Page<TaskResponse>>();
        string? cursor = null;
        do
        {
            using var response = await client.GetAsync("/api/v1/tasks?limit=3" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}"), ct);
            var page = await response.ReadAsync(ApexJsonContext.Default.PageTaskResponse, ct);
            pages.Add(page);
            cursor = page.NextCursor;
        }
        while (cursor is not null && pages.Count < 10);

        Assert.Equal([3, 3, 1], pages.Select(p => p.Items.Count));
        var listed = pages.SelectMany(p => p.Items).Select(t => t.Id).ToList();
        Assert.Equal(listed.Distinct().Count(), listed.Count);
        Assert.Equal(created.Order(), listed.Order());
        var times = pages.SelectMany(p => p.Items).Select(t => t.CreatedAt).ToList();
        Assert.Equal(times.OrderDescending(), times);
    }

    [Fact]
    public async Task CreateBatch_ThreeTasks_Returns201WithThreeIdsInOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var batch = new CreateTaskBatchRequest { Tasks = [TaskRequest("One."), TaskRequest("Two."), TaskRequest("Three.")] };

        using var response = await client.PostAsJsonAsync("/api/v1/tasks/batch", batch, ApexJsonContext.Default.CreateTaskBatchRequest, ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var ids = (await response.ReadAsync(ApexJsonContext.Default.CreateTaskBatchResponse, ct)).Ids;
        Assert.Equal(3, ids.Distinct().Count());
        Assert.Equal(["One.", "Two.", "Three."], await Task.WhenAll(ids.Select(async id => (await client.GetTaskAsync(id, ct)).Instruction)));
        Assert.Equal(3, (await ListAsync(client, "", ct)).Count);
    }

    [Fact]
    public async Task CreateBatch_OneInvalidTask_Returns422AndCreatesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        await client.CreateTaskAsync(TaskRequest("Already there."), ct);
        var batch = new CreateTaskBatchRequest { Tasks = [TaskRequest("One."), TaskRequest(""), TaskRequest("Three.")] };

        using var response = await client.PostAsJsonAsync("/api/v1/tasks/batch", batch, ApexJsonContext.Default.CreateTaskBatchRequest, ct);

        var problem = await Problem.ReadAsync(response, ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, problem.Status);
        Assert.Equal("validation_failed", problem.Code);
        Assert.Equal(["tasks[1].instruction"], problem.Errors.Keys);
        Assert.Single(await ListAsync(client, "", ct));
    }

    [Fact]
    public async Task CreateBatch_ThousandAndOneTasks_Returns422BatchTooLarge()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var batch = new CreateTaskBatchRequest { Tasks = [.. Enumerable.Range(0, 1_001).Select(i => TaskRequest($"Task {i}."))] };

        using var response = await client.PostAsJsonAsync("/api/v1/tasks/batch", batch, ApexJsonContext.Default.CreateTaskBatchRequest, ct);

        var problem = await Problem.ReadAsync(response, ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, problem.Status);
        Assert.Equal("batch_too_large", problem.Code);
        Assert.Empty(await ListAsync(client, "", ct));
    }

    [Fact]
    public async Task Create_SameIdempotencyKeyAndBody_ReturnsTheSameTaskWith200()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var request = TaskRequest("Only once, please.");

        using var first = await PostWithKeyAsync(client, "key-1", request, ct);
        using var second = await PostWithKeyAsync(client, "key-1", request, ct);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var a = await first.ReadAsync(ApexJsonContext.Default.TaskResponse, ct);
        var b = await second.ReadAsync(ApexJsonContext.Default.TaskResponse, ct);
        Assert.Equal(a.Id, b.Id);
        Assert.Equal([a.Id], (await ListAsync(client, "", ct)).Select(t => t.Id));
    }

    [Fact]
    public async Task Create_SameIdempotencyKeyDifferentBody_Returns422KeyReusedAndCreatesNothingMore()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;

        using var first = await PostWithKeyAsync(client, "key-2", TaskRequest("The first body."), ct);
        using var second = await PostWithKeyAsync(client, "key-2", TaskRequest("A different body."), ct);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var problem = await Problem.ReadAsync(second, ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, problem.Status);
        Assert.Equal("idempotency_key_reused", problem.Code);
        var only = Assert.Single(await ListAsync(client, "", ct));
        Assert.Equal("The first body.", only.Instruction);
    }

    private static async Task<HttpResponseMessage> PostWithKeyAsync(HttpClient client, string key, CreateTaskRequest request, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, "/api/v1/tasks")
        {
            Content = JsonContent.Create(request, ApexJsonContext.Default.CreateTaskRequest),
        };
        message.Headers.Add("Idempotency-Key", key);
        return await client.SendAsync(message, cancellationToken);
    }

    private static async Task<IReadOnlyList<TaskResponse>> ListAsync(HttpClient client, string query, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync($"/api/v1/tasks?limit=500&{query}", cancellationToken);
        var page = await response.ReadAsync(ApexJsonContext.Default.PageTaskResponse, cancellationToken);
        Assert.Null(page.NextCursor);
        return page.Items;
    }

    private static async Task<AgentResponse> CreateAgentAsync(HttpClient client, string name, CancellationToken cancellationToken)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/agents", new AgentRequest { Name = name }, ApexJsonContext.Default.AgentRequest, cancellationToken);
        return await response.ReadAsync(ApexJsonContext.Default.AgentResponse, cancellationToken);
    }

    /// <summary>On SQLite with in-process workers.</summary>
    public sealed class Embedded(EmbeddedBackend backend) : TasksApiTests(backend), IClassFixture<EmbeddedBackend>;

    /// <summary>On PostgreSQL and Redis Streams with a worker process.</summary>
    [Collection(DistributedBackend.Collection)]
    public sealed class Distributed(DistributedBackend backend) : TasksApiTests(backend);
}
