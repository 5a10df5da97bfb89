using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.E2E.Distributed;

[Collection(DistributedCollection.Name)]
public sealed class EagerStartTests
{
    private const int Steps = 6;

    /// <summary>
    /// Distributed eager start: the server's group commit that applies a dependency's result also claims its dependent
    /// for the dispatcher, which sends it to the work stream once committed. So each dependent's <c>task_queued</c> and
    /// <c>task_started</c> carry its dependency's <c>task_succeeded</c> commit time, the claim names the server, a worker
    /// process runs it, and every history still folds to its row.
    /// </summary>
    [Fact]
    public async Task Chain_EachDependentIsClaimedInItsDependencysCommit_AndRunsOnAWorker()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await DistributedCluster.CreateAsync(DistributedCluster.SharedRedisOrSkip(), DistributedCluster.SharedPostgresOrSkip(), ct);
        try
        {
            var server = await cluster.StartServerAsync(cancellationToken: ct);
            await cluster.StartWorkerAsync("worker-1", 4, cancellationToken: ct);
            using var client = server.CreateClient();
            var nodes = Enumerable.Range(1, Steps)
                .Select(i => i == 1 ? Node("s1", "Begin the chain.") : Node($"s{i}", $"Continue from: {{{{tasks.s{i - 1}.output}}}}", $"s{i - 1}"))
                .ToArray();

            var dag = await client.CreateDagAsync(Dag(nodes), ct);
            var finished = await client.WaitForDagAsync(dag.Id, TimeSpan.FromSeconds(60), ct);

            Assert.Equal(DagState.Succeeded, finished.Status);
            var audited = (await TaskAudit.LoadAsync(client, [.. finished.Tasks!.Select(t => t.Id)], ct)).ToDictionary(t => t.Task.Key!);
            foreach (var task in audited.Values)
            {
                Assert.Equal((TaskState.Succeeded, 1), (task.Task.Status, task.Task.Attempt));
                TaskAudit.AssertOneTerminalEvent(task);
                TaskAudit.AssertFoldReproducesRow(task);
                var started = Assert.Single(task.OfType(EventTypes.TaskStarted));
                Assert.Equal("server-1", started.Data(CoreJsonContext.Default.TaskStartedData).Worker);
            }
            for (var i = 2; i <= Steps; i++)
            {
                var dependency = audited[$"s{i - 1}"];
                var dependent = audited[$"s{i}"];
                var succeeded = Assert.Single(dependency.OfType(EventTypes.TaskSucceeded)).CreatedAt;
                Assert.Equal(succeeded, Assert.Single(dependent.OfType(EventTypes.TaskQueued)).CreatedAt);
                Assert.Equal(succeeded, Assert.Single(dependent.OfType(EventTypes.TaskStarted)).CreatedAt);
                Assert.Contains(dependency.Task.Output!, dependent.Task.Instruction, StringComparison.Ordinal);
            }
            var total = audited[$"s{Steps}"].Task.FinishedAt - audited["s1"].Task.StartedAt;
            Report.Line($"{Steps}-step chain: first start to last end {total?.TotalMilliseconds:F0} ms, every hand-off in one commit.");
            await TaskAudit.AssertEventsReplayToRowsAsync(cluster.Postgres, ct);
        }
        catch
        {
            cluster.DumpLogs();
            throw;
        }
    }
}
