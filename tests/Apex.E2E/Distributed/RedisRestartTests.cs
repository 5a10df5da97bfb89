using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Apex.Contracts;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.E2E.Distributed;

[Collection(DistributedCollection.Name)]
public sealed class RedisRestartTests
{
    private const int Tasks = 200;
    private const int DelayMs = 1_000;
    private const int Concurrency = 40;

    /// <summary>How long Redis stays away; the server and workers see every command fail or time out meanwhile.</summary>
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Invariant 4: Redis dies mid-run (SIGKILL: streams, leases and groups gone) and comes back empty on the same port.
    /// Every task still succeeds exactly once: leases are missing, so the sweep re-queues what was running and the
    /// dispatcher re-dispatches it; consumer groups are re-created. The API stays up on its PostgreSQL store meanwhile:
    /// submissions are accepted (or refused with 503), never a 500.
    /// </summary>
    [Fact]
    public async Task KillRedis_MidRunThenRestartEmpty_NoTaskLostAndApiNeverAnswers500()
    {
        var ct = TestContext.Current.CancellationToken;
        if (!ThrowawayRedis.CanRun(out var why))
        {
            if (DistributedCluster.IsCi)
            {
                Assert.Fail(why + " (CI=true: the test must run).");
            }
            Assert.Skip(why);
        }
        var port = ThrowawayRedis.FreePort();
        var endpoint = $"127.0.0.1:{port}";
        await using var cluster = await DistributedCluster.CreateAsync(endpoint, DistributedCluster.SharedPostgresOrSkip(), ct);
        try
        {
            var redis = await ThrowawayRedis.StartAsync(port, cluster.LogDirectory, 1, ct);
            cluster.Own(redis);
            var server = await cluster.StartServerAsync(cancellationToken: ct);
            await cluster.StartWorkerAsync("redis-fault-1", Concurrency, cancellationToken: ct);
            using var client = server.CreateClient();
            var ids = (await TaskAudit.SubmitBatchAsync(client,
                [.. Enumerable.Range(0, Tasks).Select(i => TaskRequest($"Redis-restart task {i}. [[simulate:delay={DelayMs}]]"))], ct)).ToList();

            // Mid-run: some finished, a full set of attempts in hand, most still waiting in the stream.
            var midway = await ApexHttp.PollAsync(async () =>
            {
                var tasks = await TaskAudit.ListAllAsync(client, ct);
                return tasks.Count(t => t.Status == TaskState.Succeeded) >= Concurrency ? tasks : null;
            }, TimeSpan.FromSeconds(30), ct);
            Assert.True(midway is not null, $"Fewer than {Concurrency} tasks succeeded within 30 s.");
            var succeededBefore = midway.Count(t => t.Status == TaskState.Succeeded);
            redis.KillHard();
            var killedAt = DateTimeOffset.UtcNow;
            Report.Line($"Redis killed (SIGKILL) with {succeededBefore}/{Tasks} succeeded.");

            // During the outage, keep using the API: submissions, reads, health. 503 is acceptable; 500 is not.
            var statuses = new List<(string Call, HttpStatusCode Status, TimeSpan Took)>();
            var outage = Stopwatch.StartNew();
            var n = 0;
            while (outage.Elapsed < Outage)
            {
                var request = TaskRequest($"Submitted during the outage {n++}. [[simulate:delay=100]]");
                statuses.Add(await CallAsync("POST /api/v1/tasks", () => client.PostAsJsonAsync("/api/v1/tasks", request, ApexJsonContext.Default.CreateTaskRequest, ct), async response =>
                {
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        ids.Add((await response.ReadAsync(ApexJsonContext.Default.TaskResponse, ct)).Id);
                    }
                }));
                statuses.Add(await CallAsync("GET /api/v1/tasks/{id}", () => client.GetAsync($"/api/v1/tasks/{ids[0]}", ct)));
                statuses.Add(await CallAsync("GET /api/v1/tasks", () => client.GetAsync("/api/v1/tasks?status=running&limit=100", ct)));
                statuses.Add(await CallAsync("GET /health", () => client.GetAsync("/health", ct)));
                statuses.Add(await CallAsync("GET /health/ready", () => client.GetAsync("/health/ready", ct)));
            }

            // A fresh, empty Redis on the same port.
            redis = await ThrowawayRedis.StartAsync(port, cluster.LogDirectory, 2, ct);
            cluster.Own(redis);
            var backAt = DateTimeOffset.UtcNow;
            Report.Line($"Redis down {(backAt - killedAt).TotalSeconds:F2} s; restarted empty on port {port}.");
            foreach (var group in statuses.GroupBy(s => s.Call))
            {
                Report.Line($"  during the outage {group.Key}: {string.Join(", ", group.GroupBy(s => (int)s.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}"))}, " +
                    $"slowest {group.Max(s => s.Took).TotalMilliseconds:F0} ms");
            }
            Assert.DoesNotContain(statuses, s => (int)s.Status >= 500 && s.Status != HttpStatusCode.ServiceUnavailable);

            var recovery = await TaskAudit.WaitAllFinishedAsync(client, ids, RecoveryBound + TimeSpan.FromSeconds(20), ct);
            var lastFinish = (await TaskAudit.ListAllAsync(client, ct)).Where(t => ids.Contains(t.Id)).Max(t => t.FinishedAt!.Value);
            var afterBack = lastFinish - backAt;
            Report.Line($"All {ids.Count} tasks ({Tasks} + {ids.Count - Tasks} submitted during the outage) finished {afterBack.TotalSeconds:F2} s after Redis returned " +
                $"(bound {RecoveryBound.TotalSeconds:F0} s; the wait saw it after {recovery.TotalSeconds:F1} s).");

            var audited = await TaskAudit.LoadAsync(client, ids, ct);
            foreach (var task in audited)
            {
                Assert.Equal(TaskState.Succeeded, task.Task.Status);
                TaskAudit.AssertOneTerminalEvent(task);
                TaskAudit.AssertFoldReproducesRow(task);
                foreach (var requeue in task.OfType(EventTypes.TaskRequeued))
                {
                    Assert.Equal("worker_lost", requeue.Data(CoreJsonContext.Default.TaskRequeuedData).Reason);
                }
            }
            var requeued = audited.Count(t => t.OfType(EventTypes.TaskRequeued).Any());
            var ignored = audited.Sum(t => t.OfType(EventTypes.TaskResultIgnored).Count());
            Report.Line($"{ids.Count}/{ids.Count} succeeded, each with exactly one terminal event; {requeued} re-queued (worker_lost) and re-run, " +
                $"max attempt {audited.Max(t => t.Task.Attempt)}; {ignored} stale results recorded as ignored.");
            Assert.True(afterBack <= RecoveryBound, $"Recovery took {afterBack.TotalSeconds:F1} s after Redis returned (bound {RecoveryBound.TotalSeconds} s).");
            await TaskAudit.AssertEventsReplayToRowsAsync(cluster.Postgres, ct);
        }
        catch
        {
            cluster.DumpLogs();
            throw;
        }
    }

    private static async Task<(string, HttpStatusCode, TimeSpan)> CallAsync(string call, Func<Task<HttpResponseMessage>> send, Func<HttpResponseMessage, Task>? onResponse = null)
    {
        var clock = Stopwatch.StartNew();
        using var response = await send();
        var took = clock.Elapsed;
        if (onResponse is not null)
        {
            await onResponse(response);
        }
        return (call, response.StatusCode, took);
    }
}
