using System.Net;
using System.Net.Http.Json;
using Apex.Contracts;
using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Server.Tests.Conformance;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Dags;

/// <summary>The DAG API, on each backend (see <see cref="ApexBackend"/>).</summary>
public abstract partial class DagsApiTests(ApexBackend backend)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Create_ResearchPipeline_SucceedsWithOutputsSubstitutedIntoDependents()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var request = Dag(
            Node("research", "Research the market for agent orchestration."),
            Node("analyze", "Analyze these findings:\n{{tasks.research.output}}\nList the three biggest risks.", "research"),
            Node("report", "Write an executive report from {{ tasks.analyze.output }} for the board.", "analyze"));

        using var response = await client.PostAsJsonAsync("/api/v1/dags", request, ApexJsonContext.Default.CreateDagRequest, ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.ReadAsync(ApexJsonContext.Default.DagResponse, ct);
        Assert.Equal($"/api/v1/dags/{created.Id}", response.Headers.Location?.OriginalString);
        Assert.Equal(["research", "analyze", "report"], created.Tasks!.Select(t => t.Key));

        var dag = await client.WaitForDagAsync(created.Id, Deadline, ct);
        Assert.Equal(DagState.Succeeded, dag.Status);
        var tasks = await GetTasksAsync(client, dag, ct);
        Assert.All(tasks.Values, t => Assert.Equal(TaskState.Succeeded, t.Status));
        Assert.Equal("Research the market for agent orchestration.", tasks["research"].Instruction);
        Assert.Equal($"Analyze these findings:\n{tasks["research"].Output}\nList the three biggest risks.", tasks["analyze"].Instruction);
        Assert.Equal($"Write an executive report from {tasks["analyze"].Output} for the board.", tasks["report"].Instruction);
        Assert.All(tasks.Values, t => Assert.DoesNotContain("{{", t.Instruction, StringComparison.Ordinal));
        Assert.All(tasks.Values, t => Assert.False(string.IsNullOrEmpty(t.Output)));
    }

    [Fact]
    public async Task Cancel_DagWithRunningTask_CancelsEveryUnfinishedTaskAndTheDag()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var created = await client.CreateDagAsync(Dag(
            Node("quick", "Answer at once."),
            Node("slow", "Think for a long time. [[simulate:delay=30000]]"),
            Node("after", "Summarize {{tasks.slow.output}}", "slow"),
            Node("join", "Join both.", "quick", "after")), ct);
        var quick = created.Tasks!.Single(t => t.Key == "quick").Id;
        var slow = created.Tasks!.Single(t => t.Key == "slow").Id;
        await client.WaitForTaskAsync(quick, ApexHttp.FinishedTask, Deadline, ct);
        await server.WaitForRunningAsync(slow, Deadline, ct);

        using var response = await client.PostAsync($"/api/v1/dags/{created.Id}/cancel", null, ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var dag = await client.GetDagAsync(created.Id, ct);
        Assert.Equal(DagState.Cancelled, dag.Status);
        var statuses = dag.Tasks!.ToDictionary(t => t.Key, t => t.Status);
        Assert.Equal(TaskState.Succeeded, statuses["quick"]);
        Assert.Equal(TaskState.Cancelled, statuses["slow"]);
        Assert.Equal(TaskState.Cancelled, statuses["after"]);
        Assert.Equal(TaskState.Cancelled, statuses["join"]);
        var again = await Problem.ReadAsync(await client.PostAsync($"/api/v1/dags/{created.Id}/cancel", null, ct), ct);
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Equal("dag_not_cancellable", again.Code);
    }

    [Fact]
    public async Task RetryTask_FailedTaskOfADag_Returns409AndLeavesTheDagFailed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var created = await client.CreateDagAsync(Dag(Node("bad", "Break. [[simulate:error]]") with { MaxAttempts = 1 }, Node("after", "After.", "bad")), ct);
        Assert.Equal(DagState.Failed, (await client.WaitForDagAsync(created.Id, Deadline, ct)).Status);

        var problem = await Problem.ReadAsync(await client.PostAsync($"/api/v1/tasks/{created.Tasks![0].Id}/retry", null, ct), ct);

        Assert.Equal(HttpStatusCode.Conflict, problem.Status);
        Assert.Equal("dag_task_not_retryable", problem.Code);
        var dag = await client.GetDagAsync(created.Id, ct);
        Assert.Equal(DagState.Failed, dag.Status);
        Assert.Equal([TaskState.Failed, TaskState.Skipped], dag.Tasks!.Select(t => t.Status));
    }

    [Fact]
    public async Task Get_UnknownDag_Returns404Problem()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;

        var problem = await Problem.ReadAsync(await client.GetAsync($"/api/v1/dags/{Guid.NewGuid()}", ct), ct);

        Assert.Equal(HttpStatusCode.NotFound, problem.Status);
        Assert.Equal("application/problem+json", problem.ContentType);
        Assert.Equal("dag_not_found", problem.Code);
    }

    /// <summary>On SQLite with in-process workers.</summary>
    public sealed class Embedded(EmbeddedBackend backend) : DagsApiTests(backend), IClassFixture<EmbeddedBackend>;

    /// <summary>On PostgreSQL and Redis Streams with a worker process.</summary>
    [Collection(DistributedBackend.Collection)]
    public sealed class Distributed(DistributedBackend backend) : DagsApiTests(backend);
}
