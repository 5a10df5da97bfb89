using System.Diagnostics;
using System.Globalization;
using System.Net;
using Apex.Testing;
using Xunit;

namespace Apex.E2E.Distributed;

[Collection(DistributedCollection.Name)]
public sealed class ReadinessTests
{
    /// <summary>The bound: readiness turns 503 this soon after a dependency stops.</summary>
    private static readonly TimeSpan NotReadyBound = TimeSpan.FromSeconds(2);

    /// <summary>How long readiness may take to come back once the dependency is up again (the Redis client reconnects with back-off).</summary>
    private static readonly TimeSpan ReadyAgainBound = TimeSpan.FromSeconds(30);

    /// <summary>
    /// An API server in distributed mode and a worker, on a PostgreSQL and a Redis of the test's own. PostgreSQL is stopped
    /// (<c>pg_ctl stop -m immediate</c>): the server's <c>/health/ready</c> answers 503 within 2 s while <c>/health/live</c>
    /// stays 200, and 200 again once PostgreSQL is back. Then Redis is stopped (<c>redis-cli shutdown nosave</c>): the
    /// server's and the worker's <c>/health/ready</c> answer 503 within 2 s, both <c>/health/live</c> stay 200, and both
    /// are ready again once a Redis is back on the same port.
    /// </summary>
    [Fact]
    public async Task StopPostgresThenRedis_ReadinessIs503WithinTwoSecondsLivenessStays200_ReadyAgainWhenBack()
    {
        var ct = TestContext.Current.CancellationToken;
        if (PostgresInstance.BinDirectory is null || !ThrowawayRedis.CanRun(out _))
        {
            const string why = "The readiness test needs PostgreSQL under /usr/lib/postgresql/*/bin and redis-server on the PATH, for throwaway servers.";
            if (DistributedCluster.IsCi)
            {
                Assert.Fail(why + " (CI=true: the test must run).");
            }
            Assert.Skip(why);
        }
        await using var postgres = await PostgresInstance.CreateAsync(ct);
        var port = ThrowawayRedis.FreePort();
        await using var cluster = await DistributedCluster.CreateAsync($"127.0.0.1:{port}", postgres.ConnectionString, ct);
        cluster.ShowLog("postgresql", postgres.ReadLog);
        try
        {
            cluster.Own(await ThrowawayRedis.StartAsync(port, cluster.LogDirectory, 1, ct));
            var server = await cluster.StartServerAsync(cancellationToken: ct);
            var worker = await cluster.StartWorkerAsync("readiness-1", 2, cancellationToken: ct);
            using var serverClient = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
            using var workerClient = new HttpClient { BaseAddress = await worker.ListeningAddressAsync(ct), Timeout = TimeSpan.FromSeconds(5) };
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(workerClient, "/health/ready", ct));

            // PostgreSQL: only the server depends on it.
            await postgres.StopImmediateAsync(ct);
            var pgDown = await WaitForReadinessAsync([serverClient], HttpStatusCode.ServiceUnavailable, NotReadyBound * 5, ct);
            await postgres.StartAsync(ct);
            var pgBack = await WaitForReadinessAsync([serverClient], HttpStatusCode.OK, ReadyAgainBound, ct);
            Report.Line($"PostgreSQL stopped: server not ready after {Ms(pgDown.Took)} ({pgDown.LiveChecks} liveness checks, all 200); " +
                $"started again: ready after {Ms(pgBack.Took)}.");

            // Redis: the server and the worker depend on it.
            await ShutdownRedisAsync(port, ct);
            var redisDown = await WaitForReadinessAsync([serverClient, workerClient], HttpStatusCode.ServiceUnavailable, NotReadyBound * 5, ct);
            cluster.Own(await ThrowawayRedis.StartAsync(port, cluster.LogDirectory, 2, ct));
            var redisBack = await WaitForReadinessAsync([serverClient, workerClient], HttpStatusCode.OK, ReadyAgainBound, ct);
            Report.Line($"Redis shut down: server and worker not ready after {Ms(redisDown.Took)} ({redisDown.LiveChecks} liveness checks, all 200); " +
                $"restarted: both ready after {Ms(redisBack.Took)}.");

            Assert.True(pgDown.Took <= NotReadyBound, $"The server's readiness turned 503 {Ms(pgDown.Took)} after PostgreSQL stopped.");
            Assert.True(redisDown.Took <= NotReadyBound, $"Readiness turned 503 {Ms(redisDown.Took)} after Redis stopped.");
        }
        catch
        {
            cluster.DumpLogs();
            throw;
        }
    }

    /// <summary>
    /// Polls every client's <c>/health/ready</c> until all answer <paramref name="expected"/>, checking on each round that
    /// <c>/health/live</c> answers 200; returns how long it took from the call (the dependency has just changed).
    /// </summary>
    private static async Task<(TimeSpan Took, int LiveChecks)> WaitForReadinessAsync(IReadOnlyList<HttpClient> clients, HttpStatusCode expected, TimeSpan deadline,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var liveChecks = 0;
        var reached = new bool[clients.Count];
        var took = TimeSpan.Zero;
        while (clock.Elapsed < deadline)
        {
            for (var i = 0; i < clients.Count; i++)
            {
                if (!reached[i] && await StatusAsync(clients[i], "/health/ready", cancellationToken) == expected)
                {
                    reached[i] = true;
                    took = clock.Elapsed;
                }
                Assert.Equal(HttpStatusCode.OK, await StatusAsync(clients[i], "/health/live", cancellationToken));
                liveChecks++;
            }
            if (reached.All(r => r))
            {
                return (took, liveChecks);
            }
            await Task.Delay(ApexHttp.PollInterval, cancellationToken);
        }
        throw new TimeoutException($"/health/ready did not answer {(int)expected} on every host within {deadline}.");
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, string path, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(path, cancellationToken);
        return response.StatusCode;
    }

    /// <summary><c>redis-cli shutdown nosave</c>: the server closes every connection and exits.</summary>
    private static async Task ShutdownRedisAsync(int port, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("redis-cli") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-p", port.ToString(CultureInfo.InvariantCulture), "shutdown", "nosave" })
        {
            start.ArgumentList.Add(argument);
        }
        using var cli = Process.Start(start) ?? throw new InvalidOperationException("redis-cli did not start.");
        await cli.WaitForExitAsync(cancellationToken);
    }

    private static string Ms(TimeSpan time) => $"{time.TotalMilliseconds:F0} ms";
}
