using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Apex.Contracts;
using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Dags;

/// <summary>
/// The largest DAG the validator accepts, run to the end: embedded only. It measures SQLite's group commit (10,000
/// sequential commits: each step's end claims the next step, <c>Apex:Engine:EagerStart</c>); through a worker process
/// every one of the 10,000 steps is also a Redis round trip, which would cost CI minutes and prove nothing DagsApiTests
/// does not already prove on the distributed backend.
/// </summary>
public sealed class EmbeddedDagScaleTests
{
    [Fact]
    public async Task Create_TenThousandNodeChain_IsAcceptedAndRunsToSucceeded()
    {
        var ct = TestContext.Current.CancellationToken;
        // Its own server, on the default Synchronous=FULL: ~10,000 sequential group commits took 15–19 s on the 2-core box.
        await using var factory = new ApexAppFactory();
        using var client = factory.CreateClient();
        var nodes = new DagTaskSpec[10_000];
        for (var i = 0; i < nodes.Length; i++)
        {
            nodes[i] = i == 0 ? Node("t0", "Step 0.") : Node($"t{i}", $"Step {i}.", $"t{i - 1}");
        }
        var stopwatch = Stopwatch.StartNew();

        using var response = await client.PostAsJsonAsync("/api/v1/dags", Dag(nodes), ApexJsonContext.Default.CreateDagRequest, ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.ReadAsync(ApexJsonContext.Default.DagResponse, ct);
        Assert.Equal(10_000, created.TaskCount);
        var accepted = stopwatch.Elapsed;
        // GET /dags/{id} carries all 10,000 tasks; polling the list (newest first, this server has one DAG) is cheap.
        var finished = await ApexHttp.PollAsync(async () =>
        {
            using var list = await client.GetAsync("/api/v1/dags?limit=1", ct);
            var page = await list.ReadAsync(ApexJsonContext.Default.PageDagResponse, ct);
            return page.Items.SingleOrDefault(d => d.Id == created.Id && ApexHttp.FinishedDag.Contains(d.Status));
        }, TimeSpan.FromSeconds(180), ct); // a bound on the wait, not a target: under the full CI load it took more than 90 s once
        var ran = stopwatch.Elapsed;

        Assert.NotNull(finished);
        Assert.Equal(DagState.Succeeded, finished.Status);
        var dag = await client.GetDagAsync(created.Id, ct);
        Assert.Equal(10_000, dag.Tasks!.Count);
        Assert.All(dag.Tasks, t => Assert.Equal(TaskState.Succeeded, t.Status));
        TestContext.Current.TestOutputHelper?.WriteLine($"10,000-node chain: accepted in {accepted.TotalSeconds:F1} s, succeeded after {ran.TotalSeconds:F1} s.");
    }
}
