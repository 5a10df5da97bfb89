using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Testing;
using StackExchange.Redis;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.E2E.Distributed;

[Collection(DistributedCollection.Name)]
public sealed class CancelDispatchedTests
{
    private const int Tasks = 20;

    /// <summary>
    /// In distributed mode a task is <c>running</c> from the moment it is dispatched, and its work message may wait in
    /// the stream for a free worker. Cancelling it then must keep any worker from running it: the cancel message on
    /// <c>{prefix}:control</c> reaches only a worker that already runs it, so the attempt's lease has to go too (the
    /// acquire then answers <c>lost</c>). A cancelled task that still runs costs a model call nobody wants.
    /// </summary>
    [Fact]
    public async Task Cancel_DispatchedTaskWaitingInTheStream_NoWorkerRunsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await DistributedCluster.CreateAsync(DistributedCluster.SharedRedisOrSkip(), DistributedCluster.SharedPostgresOrSkip(), ct);
        try
        {
            var server = await cluster.StartServerAsync(cancellationToken: ct);
            using var client = server.CreateClient();
            var ids = await TaskAudit.SubmitBatchAsync(client, [.. Enumerable.Range(0, Tasks).Select(i => TaskRequest($"Maybe cancelled {i}."))], ct);
            RedisKey work = $"{cluster.Prefix}:work";
            var dispatched = await ApexHttp.PollAsync(async () => await cluster.Db.StreamLengthAsync(work) == Tasks ? "dispatched" : null, TimeSpan.FromSeconds(30), ct);
            Assert.True(dispatched is not null, "The tasks were not dispatched.");

            var cancelled = ids.Where((_, i) => i % 2 == 0).ToList();
            var kept = ids.Where((_, i) => i % 2 == 1).ToList();
            foreach (var id in cancelled)
            {
                var running = await client.GetTaskAsync(id, ct);
                Assert.Equal(TaskState.Running, running.Status);
                using var response = await client.PostAsync($"/api/v1/tasks/{id}/cancel", null, ct);
                Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
            }

            await cluster.StartWorkerAsync("cancel-1", 8, new Dictionary<string, string> { ["Apex:Simulated:LatencyMs"] = "50" }, ct);
            await TaskAudit.WaitAllFinishedAsync(client, ids, TimeSpan.FromSeconds(30), ct);
            // Every work entry consumed by the worker, every result consumed by the server (applied, or recorded as ignored).
            RedisKey resultsStream = $"{cluster.Prefix}:results";
            var drained = await ApexHttp.PollAsync(async () =>
                await cluster.Db.StreamLengthAsync(work) == 0 && (await cluster.Db.StreamPendingAsync(work, "apex-workers")).PendingMessageCount == 0
                && await cluster.Db.StreamLengthAsync(resultsStream) == 0 && (await cluster.Db.StreamPendingAsync(resultsStream, "apex-orchestrators")).PendingMessageCount == 0
                    ? "drained"
                    : null,
                TimeSpan.FromSeconds(10), ct);
            Assert.True(drained is not null, "The work and results streams were not drained.");
            var results = await cluster.EntriesAddedAsync("results");

            var audited = await TaskAudit.LoadAsync(client, ids, ct);
            foreach (var task in audited)
            {
                TaskAudit.AssertOneTerminalEvent(task);
                TaskAudit.AssertFoldReproducesRow(task);
            }
            var ran = audited.Where(t => cancelled.Contains(t.Task.Id) && t.OfType(EventTypes.TaskResultIgnored).Any()).ToList();
            Report.Line($"{cancelled.Count} tasks cancelled while their messages waited in the stream; the worker then posted {results} results " +
                $"(expected {kept.Count}, for the tasks not cancelled); {ran.Count} cancelled tasks were run anyway (task_result_ignored).");
            Assert.All(audited.Where(t => kept.Contains(t.Task.Id)), t => Assert.Equal(TaskState.Succeeded, t.Task.Status));
            Assert.All(audited.Where(t => cancelled.Contains(t.Task.Id)), t => Assert.Equal(TaskState.Cancelled, t.Task.Status));
            if (ran.Count > 0)
            {
                Assert.Fail($"{ran.Count} of {cancelled.Count} cancelled tasks were still run by the worker, e.g. {ran[0].Task.Id}: {TaskAudit.Describe(ran[0])}.");
            }
            Assert.Equal(kept.Count, results);
            await TaskAudit.AssertEventsReplayToRowsAsync(cluster.Postgres, ct);
        }
        catch
        {
            cluster.DumpLogs();
            throw;
        }
    }
}
