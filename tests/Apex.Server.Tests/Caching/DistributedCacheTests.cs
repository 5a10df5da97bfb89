using System.Diagnostics;
using System.Net;
using Apex.Contracts;
using Apex.Contracts.Tasks;
using Apex.Redis;
using Apex.Redis.Queue;
using Apex.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using StackExchange.Redis;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Caching;

/// <summary>
/// Two API servers in distributed mode sharing one Redis prefix and one throwaway PostgreSQL database
/// (<c>APEX_TEST_REDIS</c>, <c>APEX_TEST_PG</c>; skipped without them, failed without them under CI=true). No worker
/// runs: tasks stay queued or dispatched until cancelled.
/// </summary>
public sealed class DistributedCacheTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Retry_OnOneServer_EvictsTheFinishedTaskCachedOnTheOther()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await Cluster.StartAsync(ct);
        using var a = cluster.A.CreateClient();
        using var b = cluster.B.CreateClient();
        using var countersB = new CacheCounters(cluster.B.Services);
        var task = await a.CreateTaskAsync(TaskRequest("Nobody runs me.") with { MaxAttempts = 1 }, ct);

        for (var round = 0; round < 3; round++)
        {
            var cancelled = await PostAsync(a, $"/api/v1/tasks/{task.Id}/cancel", ct);
            Assert.Equal(TaskState.Cancelled, cancelled.Status);
            Assert.Equal(TaskState.Cancelled, (await b.GetTaskAsync(task.Id, ct)).Status);
            var hits = countersB.TaskHits;
            Assert.Equal(TaskState.Cancelled, (await b.GetTaskAsync(task.Id, ct)).Status);
            Assert.True(countersB.TaskHits > hits, "Server B did not serve the finished task from its cache.");

            var retried = await PostAsync(a, $"/api/v1/tasks/{task.Id}/retry", ct);
            Assert.NotEqual(TaskState.Cancelled, retried.Status);
            // Server B learns of the retry through pub/sub: bounded by its delivery, not by the 5-minute TTL.
            var watch = Stopwatch.StartNew();
            var seen = await ApexHttp.PollAsync(async () =>
            {
                var t = await b.GetTaskAsync(task.Id, ct);
                return t.MaxAttempts == retried.MaxAttempts ? t : null;
            }, TimeSpan.FromSeconds(5), ct);
            Assert.True(seen is not null, $"Server B still served the cancelled copy {watch.Elapsed} after the retry on server A.");
            Assert.NotEqual(TaskState.Cancelled, seen.Status);
        }
    }

    [Fact]
    public async Task Health_Distributed_SumsTheLiveWorkersPresence()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await Cluster.StartAsync(ct);
        using var a = cluster.A.CreateClient();
        await using var workers = new RedisWorkerClient(cluster.Redis, Microsoft.Extensions.Options.Options.Create(new RedisOptions { Prefix = cluster.Prefix }),
            TimeProvider.System, NullLogger<RedisWorkerClient>.Instance);
        await workers.HeartbeatPresenceAsync("worker-one", capacity: 8, busy: 3, "dotnet", ct);
        await workers.HeartbeatPresenceAsync("worker-two", capacity: 4, busy: 1, "python", ct);

        var health = await a.GetHealthAsync(ct);

        Assert.Equal("distributed", health.Mode);
        Assert.Equal("healthy", health.Status);
        Assert.Equal(2, health.Components.Workers.Live);
        Assert.Equal(12, health.Components.Workers.Max);
        Assert.Equal(4, health.Components.Workers.Active);
    }

    private static async Task<TaskResponse> PostAsync(HttpClient client, string path, CancellationToken ct)
    {
        using var response = await client.PostAsync(path, null, ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await response.ReadAsync(ApexJsonContext.Default.TaskResponse, ct);
    }

    /// <summary>Two servers, their Redis prefix and database; everything is removed on dispose.</summary>
    private sealed class Cluster : IAsyncDisposable
    {
        private readonly string _server;
        private readonly string _database;

        private Cluster(string server, string database, IConnectionMultiplexer redis, string prefix, Dictionary<string, string?> settings)
        {
            _server = server;
            _database = database;
            Redis = redis;
            Prefix = prefix;
            A = new ApexAppFactory(settings);
            B = new ApexAppFactory(settings);
        }

        public ApexAppFactory A { get; }

        public ApexAppFactory B { get; }

        public IConnectionMultiplexer Redis { get; }

        public string Prefix { get; }

        public static async Task<Cluster> StartAsync(CancellationToken ct)
        {
            var (pg, redisEndpoint) = (Require("APEX_TEST_PG"), Require("APEX_TEST_REDIS"));
            var database = $"apex_cache_{Guid.NewGuid():N}";
            await using (var admin = NpgsqlDataSource.Create(pg))
            await using (var create = admin.CreateCommand($"CREATE DATABASE {database}"))
            {
                await create.ExecuteNonQueryAsync(ct);
            }
            var prefix = $"apextest:{Guid.NewGuid():N}";
            var settings = new Dictionary<string, string?>
            {
                ["ConnectionStrings:Postgres"] = new NpgsqlConnectionStringBuilder(pg) { Database = database }.ConnectionString,
                ["ConnectionStrings:Redis"] = redisEndpoint,
                ["Apex:Redis:Prefix"] = prefix,
            };
            return new Cluster(pg, database, await ConnectionMultiplexer.ConnectAsync(redisEndpoint), prefix, settings);
        }

        public async ValueTask DisposeAsync()
        {
            await A.DisposeAsync();
            await B.DisposeAsync();
            var server = Redis.GetServers().First(s => !s.IsReplica);
            var keys = new List<RedisKey>();
            await foreach (var key in server.KeysAsync(pattern: Prefix + ":*", pageSize: 1000))
            {
                keys.Add(key);
            }
            if (keys.Count > 0)
            {
                await Redis.GetDatabase().KeyDeleteAsync([.. keys]);
            }
            await Redis.DisposeAsync();
            NpgsqlConnection.ClearAllPools();
            await using var admin = NpgsqlDataSource.Create(_server);
            await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
            await drop.ExecuteNonQueryAsync();
        }

        private static string Require(string variable)
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value)
            {
                return value;
            }
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail($"{variable} is not set, and CI=true: the distributed cache tests must run in CI.");
            }
            Assert.Skip($"{variable} is not set; the distributed cache tests are skipped (see .ci/services.sh).");
            return "";
        }
    }
}
