using System.Globalization;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Testing;
using StackExchange.Redis;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.E2E.Distributed;

[Collection(DistributedCollection.Name)]
public sealed class DuplicateDeliveryTests
{
    private const int Tasks = 300;
    private const int LatencyMs = 2;
    private const int Concurrency = 64;

    /// <summary>How many entries behind its original the "while it finishes" copy goes: well inside one read of 64.</summary>
    private const int Offset = 16;

    /// <summary>
    /// Every work message is in the stream twice before any worker reads: a third of the copies right behind their
    /// original (same read), a third <see cref="Offset"/> entries behind it (a later read, while the ~2 ms original
    /// finishes), a third at the end of the stream (once it finished). Each attempt must run once (docs/worker-protocol.md,
    /// step 2: "a message delivered twice is run once"): exactly one result per task is ever posted, every copy is
    /// acknowledged and deleted, every task has one start, one success at attempt 1 and no ignored result.
    /// </summary>
    [Theory]
    [InlineData("dotnet")]
    [InlineData("python")]
    [InlineData("dotnet+python")]
    public async Task Dispatch_EveryWorkMessageDeliveredTwice_EachAttemptRunsOnce(string workers)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await DistributedCluster.CreateAsync(DistributedCluster.SharedRedisOrSkip(), DistributedCluster.SharedPostgresOrSkip(), ct);
        try
        {
            // The tasks wait claimed in the stream, with no lease, while the workers are frozen and the stream is rewritten:
            // the cluster's 1 s dispatch grace would re-queue them on a loaded box, and a re-queued attempt's result is
            // rightly ignored. This test is about duplicate delivery, not the grace.
            var server = await cluster.StartServerAsync(new Dictionary<string, string> { ["Apex:Distributed:DispatchGrace"] = "00:00:30" }, ct);
            using var client = server.CreateClient();

            // The workers start, then freeze (SIGSTOP), so that they all begin on the duplicated stream at once.
            PythonWorkerProcess? python = null;
            var processes = new List<ChildProcess>();
            if (workers.Contains("dotnet", StringComparison.Ordinal))
            {
                processes.Add((await cluster.StartWorkerAsync("dotnet-1", Concurrency,
                    new Dictionary<string, string> { ["Apex:Simulated:LatencyMs"] = LatencyMs.ToString(CultureInfo.InvariantCulture) }, ct)).Process);
            }
            if (workers.Contains("python", StringComparison.Ordinal))
            {
                python = await cluster.StartPythonWorkerAsync("python-1", Concurrency, LatencyMs, ct);
                processes.Add(python.Process);
            }
            processes.ForEach(p => p.Pause());

            // The dispatcher claims everything and writes it to the work stream, where it waits.
            var ids = await TaskAudit.SubmitBatchAsync(client, [.. Enumerable.Range(0, Tasks).Select(i => TaskRequest($"Duplicate-delivery task {i}."))], ct);
            RedisKey work = $"{cluster.Prefix}:work";
            var dispatched = await ApexHttp.PollAsync(async () =>
            {
                var entries = await cluster.Db.StreamRangeAsync(work);
                return entries.Length == Tasks ? entries : null;
            }, TimeSpan.FromSeconds(30), ct);
            Assert.True(dispatched is not null, $"The work stream never held the {Tasks} dispatched messages.");
            Assert.Equal(ids.Order(), dispatched.Select(e => Guid.Parse((string)e["task_id"]!)).Order());

            // A frozen worker may have been blocked in XREADGROUP: what it was handed stays (delivered once already); the
            // rest of the stream is rewritten so that every message is delivered exactly twice.
            var delivered = (await cluster.Db.StreamPendingMessagesAsync(work, "apex-workers", Tasks, RedisValue.Null)).Select(p => p.MessageId).ToHashSet();
            var batch = cluster.Db.CreateBatch();
            var writes = new List<Task> { batch.StreamDeleteAsync(work, [.. dispatched.Select(e => e.Id).Where(id => !delivered.Contains(id))]) };
            foreach (var message in Duplicated(dispatched, delivered))
            {
                writes.Add(batch.StreamAddAsync(work, message));
            }
            batch.Execute();
            await Task.WhenAll(writes);
            Assert.Equal(2 * Tasks, await cluster.Db.StreamLengthAsync(work));
            processes.ForEach(p => p.Resume());
            var ran = await TaskAudit.WaitAllFinishedAsync(client, ids, TimeSpan.FromSeconds(60), ct);

            // Every copy is acknowledged and deleted, the losing ones by the worker that read them.
            var drained = await ApexHttp.PollAsync(async () =>
            {
                var length = await cluster.Db.StreamLengthAsync(work);
                var pending = (await cluster.Db.StreamPendingAsync(work, "apex-workers")).PendingMessageCount;
                return length == 0 && pending == 0 ? "drained" : null;
            }, TimeSpan.FromSeconds(10), ct);
            Assert.True(drained is not null, $"The work stream still holds {await cluster.Db.StreamLengthAsync(work)} entries.");

            var audited = await TaskAudit.LoadAsync(client, ids, ct);
            var results = await cluster.EntriesAddedAsync("results");
            var ignored = audited.Where(t => t.OfType(EventTypes.TaskResultIgnored).Any()).ToList();
            var byPython = python?.Reported().Count ?? 0;
            Report.Line($"{workers}: {Tasks} tasks, each dispatched once and delivered twice ({2 * Tasks} work entries); all finished " +
                $"{ran.TotalSeconds:F1} s after the workers started. Results ever posted: {results} (expected {Tasks}); " +
                $"tasks with an ignored (second) result: {ignored.Count}." + (python is null ? "" : $" Python posted {byPython} results and dropped {python.DroppedEntries()} entries.") +
                (python is null || processes.Count == 1 ? "" : $" .NET posted {results - byPython}."));
            if (ignored.Count > 0)
            {
                Assert.Fail($"{ignored.Count} of {Tasks} attempts ran twice (a duplicate delivery was run, its result ignored), " +
                    $"e.g. task {ignored[0].Task.Id}: {TaskAudit.Describe(ignored[0])}.");
            }
            Assert.Equal(Tasks, results);
            foreach (var task in audited)
            {
                Assert.Equal(TaskState.Succeeded, task.Task.Status);
                Assert.Equal(1, task.Task.Attempt);
                TaskAudit.AssertOneTerminalEvent(task);
                Assert.Single(task.OfType(EventTypes.TaskStarted));
                Assert.Equal(1, Assert.Single(task.OfType(EventTypes.TaskSucceeded)).Data(CoreJsonContext.Default.TaskSucceededData).Attempt);
                Assert.Empty(task.OfType(EventTypes.TaskRequeued));
                TaskAudit.AssertFoldReproducesRow(task);
            }
            await TaskAudit.AssertEventsReplayToRowsAsync(cluster.Postgres, ct);
        }
        catch
        {
            cluster.DumpLogs();
            throw;
        }
    }

    /// <summary>
    /// Each message twice: the copy of i % 3 == 0 right behind it, of 1 <see cref="Offset"/> entries behind, of 2 at the
    /// end. An already <paramref name="delivered"/> original stays where it is and only gets its copy.
    /// </summary>
    private static IEnumerable<NameValueEntry[]> Duplicated(StreamEntry[] dispatched, HashSet<RedisValue> delivered)
    {
        var atEnd = new List<NameValueEntry[]>();
        for (var i = 0; i < dispatched.Length + Offset; i++)
        {
            if (i < dispatched.Length)
            {
                if (!delivered.Contains(dispatched[i].Id))
                {
                    yield return dispatched[i].Values!;
                }
                switch (i % 3)
                {
                    case 0:
                        yield return dispatched[i].Values!;
                        break;
                    case 2:
                        atEnd.Add(dispatched[i].Values!);
                        break;
                    default:
                        break;
                }
            }
            if (i >= Offset && (i - Offset) % 3 == 1)
            {
                yield return dispatched[i - Offset].Values!;
            }
        }
        foreach (var message in atEnd)
        {
            yield return message;
        }
    }
}
