using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.E2E.Distributed;

[Collection(DistributedCollection.Name)]
public sealed class WorkerKillTests
{
    private const int Tasks = 1_000;
    private const int SlowDelayMs = 3_000;
    private const int Concurrency = 250;
    private const int KillWhenHolding = 150;

    /// <summary>Invariant 5: lease TTL (2 s) + sweep interval (0.5 s), plus 1.5 s for a loaded 2-core box.</summary>
    private static readonly TimeSpan ReclaimBound = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task KillHard_WorkerHoldingInFlightWork_OrphansRequeuedAndEveryTaskSucceedsExactlyOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await DistributedCluster.CreateAsync(DistributedCluster.SharedRedisOrSkip(), DistributedCluster.SharedPostgresOrSkip(), ct);
        try
        {
            var server = await cluster.StartServerAsync(cancellationToken: ct);
            var fast = new Dictionary<string, string> { ["Apex:Simulated:LatencyMs"] = "50" };
            var started = await Task.WhenAll(
                cluster.StartWorkerAsync("worker-a", Concurrency, fast, ct),
                cluster.StartWorkerAsync("worker-b", Concurrency, fast, ct));
            var victim = started[0];
            using var client = server.CreateClient();

            // Every other task sleeps 3 s, so the victim dies holding many of them; the rest finish in ~50 ms.
            var ids = await TaskAudit.SubmitBatchAsync(client, [.. Enumerable.Range(0, Tasks).Select(i =>
                TaskRequest(i % 2 == 0 ? $"Slow task {i}. [[simulate:delay={SlowDelayMs}]]" : $"Fast task {i}."))], ct);
            var submittedAt = DateTimeOffset.UtcNow;
            var slow = ids.Where((_, i) => i % 2 == 0).ToHashSet();
            Assert.Equal(Tasks, ids.Distinct().Count());

            var held = await ApexHttp.PollAsync(async () =>
            {
                var mine = (await cluster.LeasesAsync()).Where(l => l.Value.EndsWith("|" + victim.WorkerId, StringComparison.Ordinal)).Select(l => l.Key).ToList();
                return mine.Count >= KillWhenHolding ? mine : null;
            }, TimeSpan.FromSeconds(30), ct);
            Assert.True(held is not null, $"{victim.WorkerId} never held {KillWhenHolding} leases.");
            var killAt = DateTimeOffset.UtcNow;
            victim.KillHard();
            Report.Line($"Killed {victim.WorkerId} {(killAt - submittedAt).TotalSeconds:F2} s after the submission, holding {held.Count} leases " +
                $"({held.Count(slow.Contains)} slow, {held.Count(id => !slow.Contains(id))} fast).");

            var ran = await TaskAudit.WaitAllFinishedAsync(client, ids, TimeSpan.FromSeconds(60), ct);
            Report.Line($"All {Tasks} tasks finished {(DateTimeOffset.UtcNow - submittedAt).TotalSeconds:F1} s after the submission " +
                $"({ran.TotalSeconds:F1} s after the kill's wait began).");

            var audited = await TaskAudit.LoadAsync(client, ids, ct);
            foreach (var task in audited)
            {
                Assert.Equal(TaskState.Succeeded, task.Task.Status);
                TaskAudit.AssertOneTerminalEvent(task);
                TaskAudit.AssertFoldReproducesRow(task);
                Assert.Empty(task.OfType(EventTypes.TaskResultIgnored));
            }

            // Every re-dispatch is a requeue of the lost attempt for worker_lost, after the kill, followed by attempt + 1.
            var requeues = audited.SelectMany(t => t.OfType(EventTypes.TaskRequeued).Select(e => (Task: t, Event: e, Data: e.Data(CoreJsonContext.Default.TaskRequeuedData)))).ToList();
            Assert.NotEmpty(requeues);
            foreach (var (task, e, data) in requeues)
            {
                Assert.Equal("worker_lost", data.Reason);
                Assert.True(e.CreatedAt >= killAt, $"Task {task.Task.Id} was requeued at {e.CreatedAt:O}, before the kill at {killAt:O}.");
                var next = task.Events.FirstOrDefault(n => n.Version > e.Version && n.EventType == EventTypes.TaskStarted);
                Assert.True(next is not null && next.Data(CoreJsonContext.Default.TaskStartedData).Attempt == data.Attempt + 1,
                    $"Task {task.Task.Id}: requeue of attempt {data.Attempt} not followed by attempt {data.Attempt + 1}: {TaskAudit.Describe(task)}.");
                Assert.True(task.Task.Attempt >= 2, $"Task {task.Task.Id} was requeued but finished on attempt {task.Task.Attempt}.");
            }
            var starts = audited.SelectMany(t => t.OfType(EventTypes.TaskStarted).Select(e => (Task: t, Event: e, e.Data(CoreJsonContext.Default.TaskStartedData).Attempt))).ToList();
            foreach (var (task, e, attempt) in starts.Where(s => s.Attempt >= 2))
            {
                Assert.Contains(task.OfType(EventTypes.TaskRequeued), r => r.Version < e.Version && r.Data(CoreJsonContext.Default.TaskRequeuedData).Attempt == attempt - 1);
            }
            var requeued = requeues.Select(r => r.Task.Task.Id).ToHashSet();
            // A slow task the victim held, dispatched less than 3 s before the kill, was still running when it died.
            var byId = audited.ToDictionary(t => t.Task.Id);
            var heldRunning = held.Where(id => slow.Contains(id)
                && byId[id].OfType(EventTypes.TaskStarted).First().CreatedAt + TimeSpan.FromMilliseconds(SlowDelayMs) > killAt).ToList();
            Assert.NotEmpty(heldRunning);
            Assert.All(heldRunning, id => Assert.Contains(id, requeued));

            var restarts = starts.Where(s => s.Attempt >= 2).Select(s => s.Event.CreatedAt - killAt).ToList();
            var requeueDelays = requeues.Select(r => r.Event.CreatedAt - killAt).ToList();
            var lastRequeue = requeueDelays.Max();
            Report.Line($"Requeued (worker_lost): {requeued.Count} tasks ({requeued.Count(slow.Contains)} slow, {requeued.Count(id => !slow.Contains(id))} fast); " +
                $"{requeued.Count(held.Contains)} of them in the victim's last lease snapshot.");
            Report.Line($"Kill → task_requeued: first {requeueDelays.Min().TotalSeconds:F2} s, last {lastRequeue.TotalSeconds:F2} s " +
                $"(bound {ReclaimBound.TotalSeconds:F1} s = lease TTL {DistributedCluster.LeaseTtl.TotalSeconds:F1} s + sweep {DistributedCluster.SweepInterval.TotalSeconds:F1} s + margin).");
            Report.Line($"Kill → task_started at attempt ≥ 2: first {restarts.Min().TotalSeconds:F2} s, last {restarts.Max().TotalSeconds:F2} s ({TaskAudit.Stats(restarts)}).");
            Report.Line($"Kill → last success: {(audited.Max(t => t.Task.FinishedAt!.Value) - killAt).TotalSeconds:F2} s. " +
                $"{Tasks}/{Tasks} succeeded, each with exactly one terminal event; {audited.Count(t => t.Task.Attempt >= 2)} on attempt ≥ 2.");
            Assert.True(lastRequeue <= ReclaimBound, $"The last orphan was requeued {lastRequeue.TotalSeconds:F2} s after the kill (bound {ReclaimBound.TotalSeconds} s).");
            await TaskAudit.AssertEventsReplayToRowsAsync(cluster.Postgres, ct);
        }
        catch
        {
            cluster.DumpLogs();
            throw;
        }
    }
}
