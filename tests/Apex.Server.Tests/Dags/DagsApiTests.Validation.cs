using System.Net;
using System.Net.Http.Json;
using Apex.Contracts;
using Apex.Contracts.Dags;
using Apex.Server.Tests.Conformance;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Dags;

public abstract partial class DagsApiTests
{
    [Fact]
    public async Task Create_Cycle_Returns422DagCycleNamingExactlyTheCycle()
    {
        var problem = await CreateInvalidAsync(Dag(
            Node("root", "Start."),
            Node("a", "A.", "root", "c"),
            Node("b", "B.", "a"),
            Node("c", "C.", "b"),
            Node("tail", "After the cycle.", "c")));

        Assert.Equal("dag_cycle", problem.Code);
        Assert.Equal(["a", "b", "c"], problem.Nodes.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Create_DanglingDependency_Returns422UnknownDependency()
    {
        var problem = await CreateInvalidAsync(Dag(Node("a", "A."), Node("b", "B.", "a", "ghost")));

        Assert.Equal("dag_unknown_dependency", problem.Code);
        Assert.Contains(problem.Nodes, n => n.Contains("ghost", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Create_DanglingEdgeInDependencies_Returns422UnknownDependency()
    {
        var request = Dag(Node("a", "A."), Node("b", "B.")) with { Dependencies = [new DagEdgeSpec("ghost", "b")] };

        var problem = await CreateInvalidAsync(request);

        Assert.Equal("dag_unknown_dependency", problem.Code);
    }

    [Fact]
    public async Task Create_DuplicateTaskId_Returns422DuplicateTaskId()
    {
        var problem = await CreateInvalidAsync(Dag(Node("a", "A."), Node("b", "B."), Node("a", "A again.")));

        Assert.Equal("dag_duplicate_task_id", problem.Code);
        Assert.Equal(["a"], problem.Nodes);
    }

    [Fact]
    public async Task Create_SelfEdge_Returns422SelfDependency()
    {
        var problem = await CreateInvalidAsync(Dag(Node("a", "A."), Node("b", "B.", "a", "b")));

        Assert.Equal("dag_self_dependency", problem.Code);
        Assert.Equal(["b"], problem.Nodes);
    }

    [Fact]
    public async Task Create_NoTasks_Returns422Empty()
    {
        var problem = await CreateInvalidAsync(Dag());

        Assert.Equal("dag_empty", problem.Code);
    }

    [Fact]
    public async Task Create_TenThousandAndOneNodes_Returns422TooLarge()
    {
        var nodes = Enumerable.Range(0, 10_001).Select(i => Node($"t{i}", "x")).ToArray();

        var problem = await CreateInvalidAsync(Dag(nodes));

        Assert.Equal("dag_too_large", problem.Code);
    }

    [Fact]
    public async Task Create_ReferenceToUnknownOutput_Returns422UnknownOutputReference()
    {
        var problem = await CreateInvalidAsync(Dag(Node("a", "A."), Node("b", "Use {{tasks.ghost.output}}.", "a")));

        Assert.Equal("dag_unknown_output_reference", problem.Code);
        Assert.Contains(problem.Nodes, n => n.Contains("ghost", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Create_ReferenceToNonDependency_Returns422OutputReferenceNotDependency()
    {
        var problem = await CreateInvalidAsync(Dag(Node("a", "A."), Node("b", "Use {{tasks.a.output}}.")));

        Assert.Equal("dag_output_reference_not_dependency", problem.Code);
    }

    [Fact]
    public async Task Create_TaskWithoutInstruction_Returns422InvalidTaskWithField()
    {
        var problem = await CreateInvalidAsync(Dag(Node("a", "A."), Node("b", " ", "a")));

        Assert.Equal("dag_invalid_task", problem.Code);
        Assert.Contains("tasks[1].instruction", problem.Errors.Keys);
        Assert.Equal(["b"], problem.Nodes);
    }

    /// <summary>POSTs an invalid DAG: a 422 problem+json, and nothing created.</summary>
    private async Task<Problem> CreateInvalidAsync(CreateDagRequest request)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var before = await CountDagsAsync(client, ct);

        using var response = await client.PostAsJsonAsync("/api/v1/dags", request, ApexJsonContext.Default.CreateDagRequest, ct);

        var problem = await Problem.ReadAsync(response, ct);
        Assert.True(problem.Status == HttpStatusCode.UnprocessableEntity, $"Expected 422, got {problem}");
        Assert.Equal("application/problem+json", problem.ContentType);
        Assert.Equal(422, problem.Body.GetProperty("status").GetInt32());
        Assert.Null(response.Headers.Location);
        Assert.Equal(before, await CountDagsAsync(client, ct));
        return problem;
    }

    private static async Task<int> CountDagsAsync(HttpClient client, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync("/api/v1/dags?limit=500", cancellationToken);
        var page = await response.ReadAsync(ApexJsonContext.Default.PageDagResponse, cancellationToken);
        Assert.Null(page.NextCursor);
        return page.Items.Count;
    }
}
