using System.Diagnostics;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Testing;
using StackExchange.Redis;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.E2E.Distributed;

[Collection(DistributedCollection.Name)]
public sealed class WorkerDrainTests
{
    private const int ShortTasks = 8;
    private const int LongTasks = 4;
    private const int ShortDelayMs = 500;
    private const int LongDelayMs = 30_000;

    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Drain, then the host's own shutdown (release reports, Redis disconnect); generous for a loaded 2-core box.</summary>
    private static readonly TimeSpan ExitMargin = TimeSpan.FromSeconds(4);

    /// <summary>
    /// SIGTERM with short (0.5 s) and long (30 s) attempts in hand: the short ones finish during the 2 s drain, the long
    /// ones are released and re-queued at once (reason <c>released</c>, not after a lease TTL), and the worker exits by
    /// itself. A second worker then runs the long tasks at attempt 2; they are cancelled there (30 s is past the time
    /// budget), which also proves the cancel reaches the worker: it stops them (its late report, if any, is recorded as
    /// ignored).
    /// </summary>
    [Fact]
    public async Task Terminate_WorkerWithShortAndLongAttempts_DrainsShortReleasesLongAndExitsByItself()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await DistributedCluster.CreateAsync(DistributedCluster.SharedRedisOrSkip(), DistributedCluster.SharedPostgresOrSkip(), ct);
        try
        {
            var server = await cluster.StartServerAsync(cancellationToken: ct);
            var drainSettings = new Dictionary<string, string> { ["Apex:Worker:DrainTimeout"] = DrainTimeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture) };
            var first = await cluster.StartWorkerAsync("drain-1", 16, drainSettings, ct);
            using var client = server.CreateClient();

            var ids = await TaskAudit.SubmitBatchAsync(client,
            [
                .. Enumerable.Range(0, LongTasks).Select(i => TaskRequest($"Long task {i}. [[simulate:delay={LongDelayMs}]]")),
                .. Enumerable.Range(0, ShortTasks).Select(i => TaskRequest($"Short task {i}. [[simulate:delay={ShortDelayMs}]]")),
            ], ct);
            var longIds = ids.Take(LongTasks).ToList();
            var shortIds = ids.Skip(LongTasks).ToList();

            // SIGTERM as soon as the worker holds every long attempt and some short ones, which are then mid-run.
            var holding = await ApexHttp.PollAsync(async () =>
            {
                var leases = await cluster.LeasesAsync();
                var mine = ids.Where(id => leases.TryGetValue(id, out var v) && v == "1|" + first.WorkerId).ToHashSet();
                return longIds.All(mine.Contains) && shortIds.Any(mine.Contains) ? mine : null;
            }, TimeSpan.FromSeconds(30), ct);
            Assert.True(holding is not null, $"{first.WorkerId} never held the long attempts and a short one at once.");
            var termAt = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            first.Terminate();
            var exited = await first.Process.WaitForExitAsync(DrainTimeout + ExitMargin, ct);
            var exitTime = clock.Elapsed;
            Assert.True(exited, $"{first.WorkerId} still runs {exitTime.TotalSeconds:F1} s after SIGTERM (drain {DrainTimeout.TotalSeconds} s).");
            Report.Line($"SIGTERM → exit: {exitTime.TotalSeconds:F2} s (drain timeout {DrainTimeout.TotalSeconds:F0} s), exit code {first.Process.ExitCode}.");
            Assert.Equal(0, first.Process.ExitCode);

            // The short attempts finished during the drain; the long ones were released and re-queued without waiting for a lease TTL.
            await TaskAudit.WaitAllFinishedAsync(client, shortIds, TimeSpan.FromSeconds(10), ct);
            var released = await ApexHttp.PollAsync(async () =>
            {
                var audited = await TaskAudit.LoadAsync(client, longIds, ct);
                return audited.All(t => t.OfType(EventTypes.TaskRequeued).Any()) ? audited : null;
            }, TimeSpan.FromSeconds(10), ct);
            Assert.True(released is not null, "The long tasks were not re-queued after the drain.");
            foreach (var task in released)
            {
                var requeue = Assert.Single(task.OfType(EventTypes.TaskRequeued));
                var data = requeue.Data(CoreJsonContext.Default.TaskRequeuedData);
                Assert.Equal("released", data.Reason);
                Assert.Equal(1, data.Attempt);
                Assert.True(requeue.CreatedAt - termAt < DrainTimeout + TimeSpan.FromSeconds(2),
                    $"Task {task.Task.Id} was re-queued {(requeue.CreatedAt - termAt).TotalSeconds:F2} s after SIGTERM: not by the release.");
            }
            var requeueDelays = released.Select(t => t.OfType(EventTypes.TaskRequeued).Single().CreatedAt - termAt).ToList();
            Report.Line($"SIGTERM → task_requeued (released): {TaskAudit.Stats(requeueDelays)}.");

            // A second worker takes the long tasks at attempt 2; cancel them there.
            var second = await cluster.StartWorkerAsync("drain-2", 16, cancellationToken: ct);
            var rerun = await ApexHttp.PollAsync(async () =>
            {
                var leases = await cluster.LeasesAsync();
                return longIds.All(id => leases.TryGetValue(id, out var v) && v == "2|" + second.WorkerId) ? leases : null;
            }, TimeSpan.FromSeconds(30), ct);
            Assert.True(rerun is not null, $"{second.WorkerId} never held attempt 2 of every long task.");
            RedisKey presence = $"{cluster.Prefix}:worker:{second.WorkerId}";
            var busy = await ApexHttp.PollAsync(async () => (int?)await cluster.Db.HashGetAsync(presence, "busy") == LongTasks ? "busy" : null, TimeSpan.FromSeconds(10), ct);
            Assert.True(busy is not null, $"{second.WorkerId} never reported {LongTasks} busy in its presence hash.");
            var cancelledAt = DateTimeOffset.UtcNow;
            foreach (var id in longIds)
            {
                using var response = await client.PostAsync($"/api/v1/tasks/{id}/cancel", null, ct);
                Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
            }
            // The worker stops them: it reports 0 busy in its presence hash (refreshed every heartbeat, LeaseTtl / 3).
            var idle = await ApexHttp.PollAsync(async () => (int?)await cluster.Db.HashGetAsync(presence, "busy") == 0 ? "idle" : null, TimeSpan.FromSeconds(10), ct);
            var stopTime = DateTimeOffset.UtcNow - cancelledAt;
            Assert.True(idle is not null, $"{second.WorkerId} still runs the cancelled attempts 10 s after the cancel (did it hear of it?).");
            var reports = (await TaskAudit.LoadAsync(client, longIds, ct)).SelectMany(t => t.OfType(EventTypes.TaskResultIgnored)).ToList();
            Report.Line($"Cancel → {second.WorkerId} idle (presence busy = 0) within {stopTime.TotalSeconds:F2} s; {reports.Count} of {LongTasks} stopped attempts " +
                $"reported (recorded as ignored), {TaskAudit.Stats(reports.Select(r => r.CreatedAt - cancelledAt))} after the cancel.");

            var all = await TaskAudit.LoadAsync(client, ids, ct);
            foreach (var task in all)
            {
                TaskAudit.AssertOneTerminalEvent(task);
                TaskAudit.AssertFoldReproducesRow(task);
            }
            foreach (var task in all.Where(t => shortIds.Contains(t.Task.Id)))
            {
                Assert.Equal(TaskState.Succeeded, task.Task.Status);
                Assert.Equal(1, task.Task.Attempt);
                Assert.Single(task.OfType(EventTypes.TaskStarted));
                Assert.Empty(task.OfType(EventTypes.TaskRequeued));
            }
            foreach (var task in all.Where(t => longIds.Contains(t.Task.Id)))
            {
                Assert.Equal(TaskState.Cancelled, task.Task.Status);
                Assert.Equal(2, task.Task.Attempt);
                Assert.Equal([1, 2], task.OfType(EventTypes.TaskStarted).Select(e => e.Data(CoreJsonContext.Default.TaskStartedData).Attempt));
                // The stopped attempt's report, if it made it: recorded, changing nothing.
                Assert.All(task.OfType(EventTypes.TaskResultIgnored), e => Assert.Equal(2, e.Data(CoreJsonContext.Default.TaskResultIgnoredData).Attempt));
            }
            var drained = all.Where(t => shortIds.Contains(t.Task.Id)).Count(t => t.Task.FinishedAt > termAt);
            Report.Line($"Short tasks: {ShortTasks}/{ShortTasks} succeeded on attempt 1; {holding.Count(shortIds.Contains)} were in hand at SIGTERM, " +
                $"{drained} finished after it (drained). Long tasks: {LongTasks}/{LongTasks} released, re-run at attempt 2 on {second.WorkerId}, cancelled.");
            Assert.True(drained >= 1, "No short attempt finished after SIGTERM: the drain was not exercised.");
            await TaskAudit.AssertEventsReplayToRowsAsync(cluster.Postgres, ct);
        }
        catch
        {
            cluster.DumpLogs();
            throw;
        }
    }
}
