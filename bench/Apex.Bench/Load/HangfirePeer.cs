using System.Diagnostics;
using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.Redis.StackExchange;
using Npgsql;
using StackExchange.Redis;

namespace Apex.Bench.Load;

/// <summary>One Hangfire run: a workload on one storage.</summary>
internal sealed record PeerResult(string Storage, string Workload, int Jobs, int Completed, double EnqueueSeconds, double Seconds, double CpuCores)
{
    public double JobsPerSecond => Seconds > 0 ? Completed / Seconds : 0;
}

/// <summary>The jobs Hangfire runs (public and static: Hangfire activates them by name).</summary>
public static class HangfireJobs
{
    private static int _completed;
    private static long _last;

    internal static int Completed => Volatile.Read(ref _completed);

    internal static long Last => Interlocked.Read(ref _last);

    internal static void Reset()
    {
        Volatile.Write(ref _completed, 0);
        Interlocked.Exchange(ref _last, 0);
    }

    /// <summary>The no-op workload.</summary>
    public static void Noop(int n) => Done(n);

    /// <summary>The 1-second-sleep workload (an await, as an LLM call would be; Hangfire's worker thread waits on it).</summary>
    public static async Task Sleep1s(int n)
    {
        await Task.Delay(1000);
        Done(n);
    }

    private static void Done(int n)
    {
        _ = n;
        Interlocked.Exchange(ref _last, Stopwatch.GetTimestamp());
        Interlocked.Increment(ref _completed);
    }
}

/// <summary>
/// Hangfire 1.8 as a peer: the same workloads (no-op, 1-second sleep) with the same worker count, on Hangfire.PostgreSql
/// (a fresh database on the same PostgreSQL) and Hangfire.Redis.StackExchange (a key prefix of its own on the same
/// Redis). Jobs are enqueued one by one with <see cref="BackgroundJobClient"/> (Hangfire has no batch enqueue) by as many concurrent enqueuers as Apex has submitters and run by a
/// <see cref="BackgroundJobServer"/> in this process, after as many no-op jobs not recorded (a warm-up, as Apex's
/// workloads get); throughput is jobs completed over first enqueue → last completion.
/// CPU is this process's (the Hangfire server and the enqueuers; PostgreSQL and Redis not counted).
/// </summary>
internal static class HangfirePeer
{
    public static async Task<PeerResult> RunAsync(string storage, string workload, int jobs, int workers, int enqueuers, string? postgres, string? redis, TimeSpan timeout, CancellationToken ct)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        string? database = null;
        ConnectionMultiplexer? multiplexer = null;
        JobStorage jobStorage;
        if (storage == "postgresql")
        {
            if (postgres is null)
            {
                throw new ArgumentException("--peer hangfire needs --pg for its PostgreSQL storage.");
            }
            database = $"hangfire_load_{id}";
            await LoadTarget.ExecuteAsync(postgres, $"CREATE DATABASE {database}", ct);
            var connection = new NpgsqlConnectionStringBuilder(postgres) { Database = database }.ConnectionString;
            var options = new PostgreSqlStorageOptions { QueuePollInterval = TimeSpan.FromMilliseconds(100), PrepareSchemaIfNecessary = true };
            jobStorage = new PostgreSqlStorage(new NpgsqlConnectionFactory(connection, options), options);
        }
        else
        {
            if (redis is null)
            {
                throw new ArgumentException("--peer hangfire needs --redis for its Redis storage.");
            }
            multiplexer = await ConnectionMultiplexer.ConnectAsync(redis);
            jobStorage = new RedisStorage(multiplexer, new RedisStorageOptions { Prefix = $"hangfire-load-{id}:" });
        }
        try
        {
            HangfireJobs.Reset();
            using var server = new BackgroundJobServer(new BackgroundJobServerOptions
            {
                WorkerCount = workers,
                ServerName = $"apex-bench-{id}",
                SchedulePollingInterval = TimeSpan.FromSeconds(1),
            }, jobStorage);
            var client = new BackgroundJobClient(jobStorage);
            // Warm-up, not recorded, as Apex gets one: as many no-op jobs through the same server and storage, so the
            // measured burst is run by compiled code on both sides.
            HangfireJobs.Reset();
            await EnqueueAsync(client, "no-op", jobs, enqueuers, ct);
            var warming = Stopwatch.StartNew();
            while (HangfireJobs.Completed < jobs && warming.Elapsed < timeout)
            {
                await Task.Delay(20, ct);
            }
            HangfireJobs.Reset();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var started = Stopwatch.GetTimestamp();
            await EnqueueAsync(client, workload, jobs, enqueuers, ct);
            var enqueued = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var clock = Stopwatch.StartNew();
            while (HangfireJobs.Completed < jobs && clock.Elapsed < timeout)
            {
                await Task.Delay(20, ct);
            }
            var seconds = HangfireJobs.Completed == 0 ? 0 : TaskTracker.Seconds(started, HangfireJobs.Last);
            var cores = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (HangfireJobs.Completed < jobs)
            {
                Console.Error.WriteLine($"Hangfire ({storage}, {workload}): {HangfireJobs.Completed} of {jobs} jobs completed in {timeout.TotalSeconds:N0} s.");
            }
            var result = new PeerResult(storage == "postgresql" ? "Hangfire.PostgreSql" : "Hangfire.Redis.StackExchange", workload, jobs, HangfireJobs.Completed, enqueued, seconds, cores);
            server.SendStop();
            return result;
        }
        finally
        {
            if (multiplexer is not null)
            {
                var endpoint = multiplexer.GetEndPoints()[0];
                var keys = multiplexer.GetServer(endpoint).Keys(pattern: $"hangfire-load-{id}:*").ToArray();
                if (keys.Length > 0)
                {
                    await multiplexer.GetDatabase().KeyDeleteAsync(keys);
                }
                await multiplexer.DisposeAsync();
            }
            if (database is not null)
            {
                NpgsqlConnection.ClearAllPools();
                await LoadTarget.ExecuteAsync(postgres!, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)", CancellationToken.None);
            }
        }
    }

    /// <summary>Enqueues <paramref name="jobs"/> jobs one by one from <paramref name="enqueuers"/> threads.</summary>
    private static Task EnqueueAsync(BackgroundJobClient client, string workload, int jobs, int enqueuers, CancellationToken ct)
    {
        var next = -1;
        // Hangfire's client is synchronous: each enqueuer gets a thread of its own rather than blocking the pool.
        return Task.WhenAll(Enumerable.Range(0, enqueuers).Select(_ => Task.Factory.StartNew(() =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < jobs && !ct.IsCancellationRequested)
            {
                var job = n;
                if (workload == "sleep-1s")
                {
                    client.Enqueue(() => HangfireJobs.Sleep1s(job));
                }
                else
                {
                    client.Enqueue(() => HangfireJobs.Noop(job));
                }
            }
        }, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default)));
    }
}
