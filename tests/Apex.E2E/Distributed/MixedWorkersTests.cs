using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.E2E.Distributed;

[Collection(DistributedCollection.Name)]
public sealed class MixedWorkersTests
{
    private const int FanOut = 20;
    private const int BatchTasks = 100;
    private const int LatencyMs = 100;

    /// <summary>
    /// Invariant 7: the Python reference worker, which speaks only the documented protocol, serves the same queue as a
    /// .NET worker. A DAG (a 3-step research pipeline beside a 1 → 20 → 1 fan-out, outputs flowing through
    /// <c>{{tasks.x.output}}</c>) and a batch of 100 tasks all succeed; both workers ran some; and the same instruction
    /// gives the same output and usage whichever implementation ran it (the Python Simulated provider is a port).
    /// </summary>
    [Fact]
    public async Task PythonAndDotnetWorkers_ShareDagAndBatch_AllSucceedAndBothWorkersRunSome()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await DistributedCluster.CreateAsync(DistributedCluster.SharedRedisOrSkip(), DistributedCluster.SharedPostgresOrSkip(), ct);
        try
        {
            var server = await cluster.StartServerAsync(cancellationToken: ct);
            var latency = new Dictionary<string, string> { ["Apex:Simulated:LatencyMs"] = LatencyMs.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            var dotnetStart = cluster.StartWorkerAsync("dotnet-1", 8, latency, ct);
            var pythonStart = cluster.StartPythonWorkerAsync("python-1", 8, LatencyMs, ct);
            await Task.WhenAll(dotnetStart, pythonStart);
            var python = await pythonStart;
            using var client = server.CreateClient();

            var nodes = new List<DagTaskSpec>
            {
                Node("research", "Research the state of solid-state batteries."),
                Node("analyze", "Analyze these findings: {{tasks.research.output}}", "research"),
                Node("report", "Write a one-page report from this analysis: {{tasks.analyze.output}}", "analyze"),
                Node("plan", "Split the survey of battery chemistries into parts."),
            };
            nodes.AddRange(Enumerable.Range(1, FanOut).Select(i => Node($"part{i}", $"Survey part {i} of this plan: {{{{tasks.plan.output}}}}", "plan")));
            nodes.Add(Node("join", "Merge the survey parts. " + string.Join(" ", Enumerable.Range(1, FanOut).Select(i => $"{{{{tasks.part{i}.output}}}}")),
                [.. Enumerable.Range(1, FanOut).Select(i => $"part{i}")]));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var dag = await client.CreateDagAsync(Dag([.. nodes]), ct);
            // Each instruction twice, so that many pairs are split between the two implementations.
            var batch = await TaskAudit.SubmitBatchAsync(client, [.. Enumerable.Range(0, BatchTasks).Select(i => TaskRequest($"Summarize topic {i / 2}."))], ct);

            var finishedDag = await client.WaitForDagAsync(dag.Id, TimeSpan.FromSeconds(60), ct);
            Assert.Equal(DagState.Succeeded, finishedDag.Status);
            var ids = finishedDag.Tasks!.Select(t => t.Id).Concat(batch).ToList();
            await TaskAudit.WaitAllFinishedAsync(client, ids, TimeSpan.FromSeconds(60), ct);
            var ran = clock.Elapsed;

            var audited = await TaskAudit.LoadAsync(client, ids, ct);
            foreach (var task in audited)
            {
                Assert.Equal(TaskState.Succeeded, task.Task.Status);
                Assert.Equal(1, task.Task.Attempt);
                TaskAudit.AssertOneTerminalEvent(task);
                TaskAudit.AssertFoldReproducesRow(task);
                Assert.Empty(task.OfType(EventTypes.TaskResultIgnored));
            }
            // Outputs flowed through the DAG: every dependent's instruction holds its dependencies' outputs.
            var byKey = audited.Where(t => t.Task.DagId == dag.Id).ToDictionary(t => t.Task.Key!);
            Assert.Contains(byKey["research"].Task.Output!, byKey["analyze"].Task.Instruction, StringComparison.Ordinal);
            Assert.Contains(byKey["analyze"].Task.Output!, byKey["report"].Task.Instruction, StringComparison.Ordinal);
            Assert.All(Enumerable.Range(1, FanOut), i => Assert.Contains(byKey[$"part{i}"].Task.Output!, byKey["join"].Task.Instruction, StringComparison.Ordinal));

            // Who ran what: the Python worker logs each result it posts; the .NET worker, the only other one, ran the rest.
            var byPython = python.Reported().ToList();
            Assert.All(byPython, r => Assert.Equal(1, r.Attempt));
            var pythonIds = byPython.Select(r => r.TaskId).ToHashSet();
            Assert.Equal(byPython.Count, pythonIds.Count);
            Assert.Subset(ids.ToHashSet(), pythonIds);
            var dotnetIds = ids.Where(id => !pythonIds.Contains(id)).ToHashSet();
            Report.Line($"{ids.Count} tasks ({finishedDag.Tasks!.Count} in the DAG, {BatchTasks} in the batch) succeeded on attempt 1, " +
                $"all done {ran.TotalSeconds:F1} s after the submission. Python ran {pythonIds.Count} " +
                $"({finishedDag.Tasks!.Count(t => pythonIds.Contains(t.Id))} DAG tasks), .NET ran {dotnetIds.Count} ({finishedDag.Tasks!.Count(t => dotnetIds.Contains(t.Id))} DAG tasks).");
            Assert.NotEmpty(pythonIds);
            Assert.NotEmpty(dotnetIds);

            // Same instruction, same output and usage, whichever implementation ran it.
            var pairs = audited.Where(t => batch.Contains(t.Task.Id)).GroupBy(t => t.Task.Instruction).ToList();
            var split = 0;
            foreach (var pair in pairs)
            {
                var first = pair.First().Task;
                Assert.All(pair, t =>
                {
                    Assert.Equal(first.Output, t.Task.Output);
                    Assert.Equal(first.Usage, t.Task.Usage);
                });
                split += pair.Select(t => pythonIds.Contains(t.Task.Id)).Distinct().Count() == 2 ? 1 : 0;
            }
            Report.Line($"{pairs.Count} instructions submitted twice: {split} pairs ran once on each implementation, with equal output and usage.");
            await TaskAudit.AssertEventsReplayToRowsAsync(cluster.Postgres, ct);
        }
        catch
        {
            cluster.DumpLogs();
            throw;
        }
    }
}
