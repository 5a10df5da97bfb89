using System.Net;
using Apex.Contracts.Tasks;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.E2E.Distributed;

[Collection(DistributedCollection.Name)]
public sealed class PostgresRestartTests
{
    private const int PerSecond = 40;
    private const int Concurrency = 50;
    private const int DelayMs = 500;

    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(3);

    /// <summary>Submissions before the outage, so that work is queued and running when PostgreSQL goes.</summary>
    private static readonly TimeSpan Before = TimeSpan.FromSeconds(1.5);

    /// <summary>Submissions after PostgreSQL returned.</summary>
    private static readonly TimeSpan After = TimeSpan.FromSeconds(2);

    /// <summary>Invariant 6: while the store is down every request is answered 503 within this, never a 500, never a hang.</summary>
    private static readonly TimeSpan AnswerBound = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan FirstCompletionBound = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Invariants 1 and 6: the API server's PostgreSQL (a throwaway instance of this test's own) is stopped with
    /// <c>pg_ctl stop -m immediate</c> for 3 s under a steady stream of idempotent submissions, then started again. While
    /// it is down every submission is answered within 2 s with a 503 problem+json carrying Retry-After; tasks complete
    /// again within 10 s of its return; every acknowledged task exists and succeeds, one per Idempotency-Key; and every
    /// task's events replay to its row.
    /// </summary>
    [Fact]
    public async Task StopPostgresImmediate_ThreeSecondsUnderLoad_Answers503ThenRecoversWithNoAcknowledgedWriteLost()
    {
        var ct = TestContext.Current.CancellationToken;
        if (PostgresInstance.BinDirectory is null)
        {
            if (DistributedCluster.IsCi)
            {
                Assert.Fail("No PostgreSQL under /usr/lib/postgresql/*/bin, and CI=true: the test must run.");
            }
            Assert.Skip("No PostgreSQL under /usr/lib/postgresql/*/bin; the PostgreSQL restart test needs a throwaway one.");
        }
        var redis = DistributedCluster.SharedRedisOrSkip();
        await using var postgres = await PostgresInstance.CreateAsync(ct);
        await using var cluster = await DistributedCluster.CreateAsync(redis, postgres.ConnectionString, ct);
        cluster.ShowLog("postgresql", postgres.ReadLog);
        try
        {
            var server = await cluster.StartServerAsync(cancellationToken: ct);
            await cluster.StartWorkerAsync("pg-restart-1", Concurrency, cancellationToken: ct);
            using var client = server.CreateClient();
            client.Timeout = TimeSpan.FromSeconds(10);
            var submitter = new IdempotentSubmitter([client], $"pg-restart-{Guid.NewGuid():N}",
                i => TaskRequest($"PostgreSQL-restart task {i}. [[simulate:delay={DelayMs}]]"));

            var load = submitter.RunAsync(PerSecond, Before + Outage + After, ct);
            var warm = await ApexHttp.PollAsync(() => Task.FromResult<string?>(submitter.Now >= Before && submitter.Acknowledged.Count > 0 ? "warm" : null),
                Before * 10, ct);
            Assert.True(warm is not null, "No submission was acknowledged before the outage.");
            var acknowledgedBefore = submitter.Acknowledged.Values.ToHashSet();
            var stopAt = submitter.Now;
            await postgres.StopImmediateAsync(ct);
            var downAt = submitter.Now;
            var downAtUtc = DateTimeOffset.UtcNow;
            await Task.Delay(Outage, ct); // the outage's length, not a wait for anything
            var startAt = submitter.Now;
            await postgres.StartAsync(ct);
            var upAt = submitter.Now;
            var upAtUtc = DateTimeOffset.UtcNow;
            await load;
            await submitter.WhenAllAcknowledgedAsync();

            var attempts = submitter.Attempts;
            var during = attempts.Where(a => a.SentAt >= downAt && a.SentAt < startAt).ToList();
            var firstUnavailable = attempts.Where(a => a.Status == HttpStatusCode.ServiceUnavailable).MinBy(a => a.AnsweredAt);
            var firstAfter = attempts.Where(a => a.SentAt >= upAt && a.Status is { } s && (int)s < 300).MinBy(a => a.AnsweredAt);
            Report.Line($"pg_ctl stop -m immediate at {stopAt.TotalSeconds:F2} s, server gone at {downAt.TotalSeconds:F2} s, start began at {startAt.TotalSeconds:F2} s, ready at {upAt.TotalSeconds:F2} s " +
                $"(down {(upAt - downAt).TotalSeconds:F2} s); {acknowledgedBefore.Count} tasks acknowledged before the stop.");
            Report.Line($"{attempts.Count} HTTP submissions for {submitter.Started} logical tasks ({attempts.Count - submitter.Started} retries): " +
                $"{string.Join(", ", attempts.GroupBy(a => a.Status is { } s ? ((int)s).ToString(System.Globalization.CultureInfo.InvariantCulture) : "no answer").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}×{g.Count()}"))}.");
            Report.Line($"While down: {during.Count} submissions, answered in at most {(during.Count == 0 ? 0 : during.Max(a => a.Took).TotalMilliseconds):F0} ms; " +
                $"first 503 answered {((firstUnavailable?.AnsweredAt ?? TimeSpan.Zero) - stopAt).TotalSeconds:F2} s after the stop command; " +
                $"first 2xx sent after the return answered {((firstAfter?.AnsweredAt ?? TimeSpan.Zero) - upAt).TotalSeconds:F2} s after it.");

            Assert.DoesNotContain(attempts, a => a.Status is null);
            Assert.DoesNotContain(attempts, a => a.Status >= HttpStatusCode.InternalServerError && a.Status != HttpStatusCode.ServiceUnavailable);
            Assert.NotEmpty(during);
            Assert.All(during, a =>
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, a.Status);
                Assert.True(a.ProblemJson, $"A 503 sent at {a.SentAt.TotalSeconds:F2} s is not problem+json.");
                Assert.False(string.IsNullOrEmpty(a.RetryAfter), $"A 503 sent at {a.SentAt.TotalSeconds:F2} s has no Retry-After.");
                Assert.True(a.Took <= AnswerBound, $"A submission sent at {a.SentAt.TotalSeconds:F2} s, while PostgreSQL was down, took {a.Took.TotalSeconds:F2} s.");
            });
            Assert.NotNull(firstUnavailable);
            Assert.True(firstUnavailable.AnsweredAt - stopAt <= AnswerBound, $"The first 503 came {(firstUnavailable.AnsweredAt - stopAt).TotalSeconds:F2} s after the stop command.");

            var ids = submitter.Acknowledged.Values.ToList();
            var ran = await TaskAudit.WaitAllFinishedAsync(client, ids, TimeSpan.FromSeconds(40), ct);
            var tasks = (await TaskAudit.ListAllAsync(client, ct)).ToList();
            Assert.Equal(submitter.Started, tasks.Count);
            Assert.Equal(ids.ToHashSet(), tasks.Select(t => t.Id).ToHashSet());
            Assert.All(tasks, t => Assert.Equal(TaskState.Succeeded, t.Status));
            // A finish time is taken when its write's transaction began, so one at or after the moment PostgreSQL was gone was
            // committed after the return. Not compared with upAtUtc: the server reconnects as soon as PostgreSQL accepts
            // connections, which can be before `pg_ctl start -w` has returned and the test has read the clock.
            // Work in hand when PostgreSQL went: acknowledged before the stop, finished after the return.
            var spanning = tasks.Where(t => acknowledgedBefore.Contains(t.Id) && t.FinishedAt >= downAtUtc).ToList();
            Assert.NotEmpty(spanning);
            var firstCompletion = tasks.Where(t => t.FinishedAt >= downAtUtc).Min(t => t.FinishedAt!.Value) - upAtUtc;
            Report.Line($"All {tasks.Count} tasks succeeded ({ran.TotalSeconds:F1} s after the last acknowledgement); first completion {firstCompletion.TotalSeconds:F2} s " +
                $"after pg_ctl's start returned (bound {FirstCompletionBound.TotalSeconds:F0} s); {spanning.Count} tasks acknowledged before the stop finished after the return; " +
                $"max attempt {tasks.Max(t => t.Attempt)}, {tasks.Count(t => t.Attempt >= 2)} tasks re-run.");
            Assert.True(firstCompletion <= FirstCompletionBound, $"The first completion came {firstCompletion.TotalSeconds:F2} s after PostgreSQL returned.");
            await TaskAudit.AssertEventsReplayToRowsAsync(cluster.Postgres, ct);
        }
        catch
        {
            cluster.DumpLogs();
            throw;
        }
    }
}
