using System.Net;
using Apex.Contracts.Tasks;
using Apex.Testing;
using Npgsql;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.E2E.Distributed;

[Collection(DistributedCollection.Name)]
public sealed class ApiServerKillTests
{
    private const int PerSecond = 200;
    private const int Concurrency = 200;

    private static readonly TimeSpan LoadDuration = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Invariants 1 and 2 across API servers: two servers share one PostgreSQL database and one Redis prefix; a client
    /// submits ~200 tasks a second over both, each logical task under an Idempotency-Key of its own, retrying on the
    /// other server on a connection error or a 5xx. One server is killed (SIGKILL) halfway. The database then holds one
    /// task per key, every acknowledged task among them; no answer was a 500; every task succeeds on the surviving
    /// server and the worker; and every task's events replay to its row.
    /// </summary>
    [Fact]
    public async Task KillHard_OneOfTwoApiServersUnderSubmissionLoad_OneTaskPerKeyNoneLostNo500()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await DistributedCluster.CreateAsync(DistributedCluster.SharedRedisOrSkip(), DistributedCluster.SharedPostgresOrSkip(), ct);
        try
        {
            var victim = await cluster.StartServerAsync(cancellationToken: ct);
            var survivor = await cluster.StartServerAsync(cancellationToken: ct);
            await cluster.StartWorkerAsync("api-kill-1", Concurrency, new Dictionary<string, string> { ["Apex:Simulated:LatencyMs"] = "50" }, ct);
            using var victimClient = victim.CreateClient();
            using var survivorClient = survivor.CreateClient();
            victimClient.Timeout = survivorClient.Timeout = TimeSpan.FromSeconds(10);

            var submitter = new IdempotentSubmitter([victimClient, survivorClient], $"api-kill-{Guid.NewGuid():N}",
                i => TaskRequest($"API-kill task {i}."));
            var load = submitter.RunAsync(PerSecond, LoadDuration, ct);
            var halfway = await ApexHttp.PollAsync(() => Task.FromResult<string?>(submitter.Acknowledged.Count >= PerSecond * LoadDuration.TotalSeconds / 2 ? "halfway" : null),
                LoadDuration * 2, ct);
            Assert.True(halfway is not null, $"Only {submitter.Acknowledged.Count} submissions were acknowledged within {LoadDuration * 2}.");
            var acknowledgedBeforeKill = submitter.Acknowledged.Count;
            var killAt = submitter.Now;
            victim.KillHard();
            var killedAtUtc = DateTimeOffset.UtcNow;
            await load;
            var loadEnd = submitter.Now;
            await submitter.WhenAllAcknowledgedAsync();
            var acknowledgedAt = submitter.Now;

            var attempts = submitter.Attempts;
            var logical = submitter.Started;
            var retries = attempts.Count - logical;
            var afterKill = attempts.Where(a => a.AnsweredAt >= killAt).ToList();
            Report.Line($"Load: {logical} logical tasks at {PerSecond}/s over {loadEnd.TotalSeconds:F2} s, {attempts.Count} HTTP submissions, {retries} retries; " +
                $"server-1 killed (SIGKILL) at {killAt.TotalSeconds:F2} s with {acknowledgedBeforeKill} acknowledged so far.");
            Report.Line($"Answers: {Summary(attempts)}; after the kill: {Summary(afterKill)}. Replays (200, the key was already committed): " +
                $"{attempts.Count(a => a.Status == HttpStatusCode.OK)}. Last acknowledgement {acknowledgedAt.TotalSeconds:F2} s.");
            Assert.DoesNotContain(attempts, a => a.Status == HttpStatusCode.InternalServerError);
            Assert.DoesNotContain(attempts, a => a.Status >= HttpStatusCode.InternalServerError && a.Status != HttpStatusCode.ServiceUnavailable);
            Assert.Contains(afterKill, a => a.Server == 0 && a.Status is null);
            Assert.Equal(logical, submitter.Acknowledged.Count);

            // The database: one task per key, and it is the acknowledged one.
            var (rows, keys) = await ReadTasksAndKeysAsync(cluster.Postgres, ct);
            Assert.Equal(logical, keys.Count);
            Assert.Equal(logical, rows.Count);
            var missing = submitter.Acknowledged.Where(a => !rows.Contains(a.Value)).ToList();
            Assert.True(missing.Count == 0, $"{missing.Count} acknowledged tasks are not in the database, e.g. logical {missing.FirstOrDefault().Key}.");
            var mismatched = submitter.Acknowledged.Where(a => !keys.TryGetValue(submitter.Key(a.Key), out var result) || !result.Contains(a.Value.ToString(), StringComparison.Ordinal)).ToList();
            Assert.True(mismatched.Count == 0, $"{mismatched.Count} keys do not map to the task they acknowledged, e.g. logical {mismatched.FirstOrDefault().Key}.");

            var ids = submitter.Acknowledged.Values.ToList();
            var ran = await TaskAudit.WaitAllFinishedAsync(survivorClient, ids, TimeSpan.FromSeconds(40), ct);
            var tasks = (await TaskAudit.ListAllAsync(survivorClient, ct)).Where(t => rows.Contains(t.Id)).ToList();
            Assert.All(tasks, t => Assert.Equal(TaskState.Succeeded, t.Status));
            var lastFinish = tasks.Max(t => t.FinishedAt!.Value);
            Report.Line($"All {tasks.Count} tasks succeeded; last success {(lastFinish - killedAtUtc).TotalSeconds:F2} s after the kill " +
                $"({(acknowledgedAt - killAt).TotalSeconds:F2} s from the kill to the last acknowledgement; the wait for all succeeded took {ran.TotalSeconds:F1} s " +
                $"after it). Max attempt {tasks.Max(t => t.Attempt)}, {tasks.Count(t => t.Attempt >= 2)} tasks re-run.");
            await TaskAudit.AssertEventsReplayToRowsAsync(cluster.Postgres, ct);
        }
        catch
        {
            cluster.DumpLogs();
            throw;
        }
    }

    private static string Summary(IEnumerable<SubmitAttempt> attempts) =>
        string.Join(", ", attempts.GroupBy(a => a.Status is { } s ? ((int)s).ToString(System.Globalization.CultureInfo.InvariantCulture) : "connection error")
            .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}×{g.Count()}"));

    private static async Task<(HashSet<Guid> Rows, Dictionary<string, string> Keys)> ReadTasksAndKeysAsync(PostgresTestDatabase database, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = new HashSet<Guid>();
        await using (var command = new NpgsqlCommand("SELECT id FROM tasks", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(reader.GetGuid(0));
            }
        }
        var keys = new Dictionary<string, string>();
        await using (var command = new NpgsqlCommand("SELECT key, result FROM idempotency_keys", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                keys.Add(reader.GetString(0), reader.GetString(1));
            }
        }
        return (rows, keys);
    }
}
