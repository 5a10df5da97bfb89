using System.Diagnostics;
using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.E2E;

public sealed class RestartDurabilityTests
{
    private const int MiddleTasks = 18;

    [Fact]
    public async Task KillHard_MidDag_RestartRunsEveryTaskToSucceededExactlyOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["Apex:Simulated:LatencyMs"] = "400",
            ["Apex:Engine:MaxConcurrency"] = "4",
        }, ct);
        try
        {
            Guid dagId;
            using (var client = server.CreateClient())
            {
                var nodes = new List<DagTaskSpec> { Node("root", "Plan the work.") };
                nodes.AddRange(Enumerable.Range(1, MiddleTasks).Select(i => Node($"part{i}", $"Do part {i} of {{{{tasks.root.output}}}}", "root")));
                nodes.Add(Node("join", "Assemble every part.", [.. Enumerable.Range(1, MiddleTasks).Select(i => $"part{i}")]));
                dagId = (await client.CreateDagAsync(Dag([.. nodes]), ct)).Id;

                var midway = await ApexHttp.PollAsync(async () =>
                {
                    var dag = await client.GetDagAsync(dagId, ct);
                    var succeeded = dag.Tasks!.Count(t => t.Status == TaskState.Succeeded);
                    var running = dag.Tasks!.Count(t => t.Status == TaskState.Running);
                    return succeeded >= 3 && running >= 1 && !ApexHttp.FinishedDag.Contains(dag.Status) ? dag : null;
                }, TimeSpan.FromSeconds(60), ct);
                Assert.NotNull(midway);
                Output($"Killing with {midway.Tasks!.Count(t => t.Status == TaskState.Succeeded)} succeeded and {midway.Tasks!.Count(t => t.Status == TaskState.Running)} running.");
            }

            server.KillHard();
            var restart = Stopwatch.StartNew();
            await server.StartAsync(ct);
            using var restarted = server.CreateClient();
            var finished = await restarted.WaitForDagAsync(dagId, TimeSpan.FromSeconds(60), ct);
            Output($"Restart to DAG completion: {restart.Elapsed.TotalSeconds:F2} s (including the server's start).");

            Assert.Equal(DagState.Succeeded, finished.Status);
            Assert.Equal(MiddleTasks + 2, finished.Tasks!.Count);
            Assert.Equal(MiddleTasks + 2, finished.Tasks.Select(t => t.Key).Distinct().Count());
            var requeued = new List<string>();
            foreach (var summary in finished.Tasks)
            {
                var task = await restarted.GetTaskAsync(summary.Id, ct);
                Assert.Equal(TaskState.Succeeded, task.Status);
                var events = await restarted.GetTaskEventsAsync(summary.Id, ct);
                var terminal = events.Where(e => EventTypes.IsTerminal(e.EventType)).Select(e => e.EventType).ToList();
                Assert.True(terminal.SequenceEqual([EventTypes.TaskSucceeded]), $"{summary.Key} has terminal events [{string.Join(", ", terminal)}].");
                Assert.Equal(Enumerable.Range(1, events.Count), events.Select(e => e.Version));
                if (events.Any(e => e.EventType == EventTypes.TaskRequeued))
                {
                    Assert.True(task.Attempt >= 2, $"{summary.Key} was requeued but finished on attempt {task.Attempt}.");
                    requeued.Add(summary.Key);
                }
            }
            Assert.NotEmpty(requeued);
            Output($"Requeued after the kill: {string.Join(", ", requeued)}.");
        }
        catch
        {
            Output($"Server log ({server.LogPath}):\n{server.ReadLog()}");
            throw;
        }
    }

    private static void Output(string message) => TestContext.Current.TestOutputHelper?.WriteLine(message);
}
