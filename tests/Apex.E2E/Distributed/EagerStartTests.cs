using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Testing;
using StackExchange.Redis;
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

    /// <summary>
    /// <c>Apex:Distributed:MaxInFlight</c> holds with eager start: a batch of many more tasks than the limit starts as
    /// many as fit in its own commit, the rest wait queued and are claimed as results free room, and the work stream
    /// (entries stay until their task ends) never holds more than the limit. Every task runs once.
    /// </summary>
    [Fact]
    public async Task Batch_LargerThanMaxInFlight_StreamNeverHoldsMore_AndEveryTaskRunsOnce()
    {
        const int maxInFlight = 4;
        const int tasks = 60;
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await DistributedCluster.CreateAsync(DistributedCluster.SharedRedisOrSkip(), DistributedCluster.SharedPostgresOrSkip(), ct);
        try
        {
            var server = await cluster.StartServerAsync(new Dictionary<string, string> { ["Apex:Distributed:MaxInFlight"] = $"{maxInFlight}" }, ct);
            // More slots than the limit: the stream, not the worker, bounds what is in flight.
            await cluster.StartWorkerAsync("worker-1", 2 * maxInFlight, new Dictionary<string, string> { ["Apex:Simulated:LatencyMs"] = "20" }, ct);
            using var client = server.CreateClient();
            RedisKey work = $"{cluster.Prefix}:work";
            using var sampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var samples = new List<long>();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    samples.Add(await cluster.Db.StreamLengthAsync(work));
                    await Task.Delay(2, CancellationToken.None);
                }
            }, CancellationToken.None);

            var ids = await TaskAudit.SubmitBatchAsync(client, [.. Enumerable.Range(0, tasks).Select(i => TaskRequest($"Limited task {i}."))], ct);
            await TaskAudit.WaitAllFinishedAsync(client, ids, TimeSpan.FromSeconds(60), ct);
            await sampling.CancelAsync();
            await sampler;

            var audited = await TaskAudit.LoadAsync(client, ids, ct);
            Assert.All(audited, task =>
            {
                Assert.Equal((TaskState.Succeeded, 1), (task.Task.Status, task.Task.Attempt));
                Assert.Single(task.OfType(EventTypes.TaskStarted));
                TaskAudit.AssertOneTerminalEvent(task);
                TaskAudit.AssertFoldReproducesRow(task);
            });
            var inSubmission = audited.Count(t => t.OfType(EventTypes.TaskStarted).Single().CreatedAt == t.OfType(EventTypes.TaskCreated).Single().CreatedAt);
            Report.Line($"{tasks} tasks through a work stream of {maxInFlight}: {inSubmission} started in the submission's commit; " +
                $"stream length sampled {samples.Count} times, at most {samples.Max()}.");
            Assert.InRange(inSubmission, 0, maxInFlight);
            Assert.InRange(samples.Max(), 1, maxInFlight);
            await TaskAudit.AssertEventsReplayToRowsAsync(cluster.Postgres, ct);
        }
        catch
        {
            cluster.DumpLogs();
            throw;
        }
    }
}
