using System.Globalization;
using Apex.Testing;
using StackExchange.Redis;
using Xunit;

namespace Apex.E2E.Distributed;

/// <summary>
/// One test's distributed Apex: API servers in distributed mode (a PostgreSQL database of this test's own, shared by all
/// its API servers; a Redis queue) and .NET or Python worker processes, all on a Redis key prefix of this test's own so
/// that tests can share one Redis and one PostgreSQL server. Timings are the smallest
/// the design allows (lease TTL 2 s, sweep 0.5 s, dispatch grace 1 s). Dispose kills every process, deletes the
/// prefix's keys, drops the database and deletes the logs; call <see cref="DumpLogs"/> first when the test failed.
/// </summary>
internal sealed class DistributedCluster : IAsyncDisposable
{
    /// <summary>Lease TTL of server and workers.</summary>
    public static readonly TimeSpan LeaseTtl = TimeSpan.FromSeconds(2);

    /// <summary>The server's lease sweep interval.</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>The server's dispatch grace.</summary>
    public static readonly TimeSpan DispatchGrace = TimeSpan.FromSeconds(1);

    private const int LogTailLines = 150;

    private readonly List<IAsyncDisposable> _processes = [];
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<(string Name, Func<string> Read)> _logs = [];
    private readonly List<ServerProcess> _servers = [];
    private ConnectionMultiplexer? _redis;
    private PostgresTestDatabase? _postgres;

    private DistributedCluster(string redisEndpoint)
    {
        RedisEndpoint = redisEndpoint;
        Prefix = $"apexe2e:{Guid.NewGuid():N}";
        LogDirectory = Path.Combine(Path.GetTempPath(), "apex-e2e", "distributed-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(LogDirectory);
    }

    /// <summary><c>HOST:PORT</c> of the Redis in use.</summary>
    public string RedisEndpoint { get; }

    /// <summary>This test's key prefix (<c>Apex:Redis:Prefix</c>).</summary>
    public string Prefix { get; }

    /// <summary>Where worker logs go.</summary>
    public string LogDirectory { get; }

    /// <summary>The first API server, once started.</summary>
    public ServerProcess? Server => _servers.Count == 0 ? null : _servers[0];

    /// <summary>The PostgreSQL database every API server of this cluster uses.</summary>
    public PostgresTestDatabase Postgres => _postgres ?? throw new InvalidOperationException("No database.");

    /// <summary>A connection of the test's own to the Redis, for inspection and fault injection.</summary>
    public IDatabase Db => (_redis ?? throw new InvalidOperationException("Not connected.")).GetDatabase();

    /// <summary>
    /// The Redis of <c>APEX_TEST_REDIS</c> (<c>HOST:PORT</c>). Without it the test is skipped, except under
    /// <c>CI=true</c>, where it fails: these tests must run in CI.
    /// </summary>
    public static string SharedRedisOrSkip() => SharedServerOrSkip("APEX_TEST_REDIS");

    /// <summary>
    /// The PostgreSQL server of <c>APEX_TEST_PG</c> (a connection string). Without it the test is skipped, except under
    /// <c>CI=true</c>, where it fails.
    /// </summary>
    public static string SharedPostgresOrSkip() => SharedServerOrSkip("APEX_TEST_PG");

    /// <summary>Whether this runs in CI, where a missing dependency is a failure rather than a skip.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A cluster on <paramref name="redisEndpoint"/>, with the test's own connection to it, whose API servers share a new
    /// database on the PostgreSQL server of <paramref name="postgresServer"/> (a connection string).
    /// </summary>
    public static async Task<DistributedCluster> CreateAsync(string redisEndpoint, string postgresServer, CancellationToken cancellationToken = default)
    {
        var cluster = new DistributedCluster(redisEndpoint);
        try
        {
            var options = ConfigurationOptions.Parse(redisEndpoint);
            options.AbortOnConnectFail = false;
            cluster._redis = await ConnectionMultiplexer.ConnectAsync(options);
            cluster._postgres = await PostgresTestDatabase.CreateAsync(postgresServer, cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Settings every process shares: the Redis, the prefix, the lease TTL.</summary>
    public Dictionary<string, string> CommonSettings() => new()
    {
        ["ConnectionStrings:Redis"] = RedisEndpoint,
        ["Apex:Redis:Prefix"] = Prefix,
        ["Apex:Redis:LeaseTtl"] = LeaseTtl.ToString("c", CultureInfo.InvariantCulture),
        // StackExchange.Redis narrates every connect at Information: dozens of lines that bury what matters in a failure's log dump.
        ["Logging:LogLevel:StackExchange.Redis"] = "Warning",
        // Npgsql logs every command at Information, thousands of lines a second under load.
        ["Logging:LogLevel:Npgsql"] = "Warning",
    };

    /// <summary>
    /// Starts another API server in distributed mode (<c>server-1</c>, <c>server-2</c>, ...; plus <paramref name="extra"/>
    /// settings) on <see cref="Postgres"/> and waits until it is ready.
    /// </summary>
    public async Task<ServerProcess> StartServerAsync(IReadOnlyDictionary<string, string>? extra = null, CancellationToken cancellationToken = default)
    {
        var settings = CommonSettings();
        var serverId = $"server-{_servers.Count + 1}";
        settings["Apex:Redis:SweepInterval"] = SweepInterval.ToString("c", CultureInfo.InvariantCulture);
        settings["Apex:Distributed:DispatchGrace"] = DispatchGrace.ToString("c", CultureInfo.InvariantCulture);
        settings["Apex:Distributed:ServerId"] = serverId;
        settings["ConnectionStrings:Postgres"] = Postgres.ConnectionString;
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }
        var server = await ServerProcess.StartAsync(settings, cancellationToken);
        _processes.Add(server);
        _logs.Add((serverId, server.ReadLog));
        _servers.Add(server);
        return server;
    }

    /// <summary>Starts a .NET worker with <paramref name="concurrency"/> slots (plus <paramref name="extra"/> settings) and waits until it reads work.</summary>
    public async Task<WorkerProcess> StartWorkerAsync(string workerId, int concurrency, IReadOnlyDictionary<string, string>? extra = null,
        CancellationToken cancellationToken = default)
    {
        var settings = CommonSettings();
        settings["Apex:Worker:Concurrency"] = concurrency.ToString(CultureInfo.InvariantCulture);
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }
        var worker = await WorkerProcess.StartAsync(workerId, settings, LogDirectory, cancellationToken);
        _processes.Add(worker);
        _logs.Add(($"worker {workerId}", worker.ReadLog));
        return worker;
    }

    /// <summary>Starts the Python reference worker and waits until it reads work.</summary>
    public async Task<PythonWorkerProcess> StartPythonWorkerAsync(string workerId, int concurrency, int latencyMs, CancellationToken cancellationToken = default)
    {
        var worker = await PythonWorkerProcess.StartAsync(RedisEndpoint, Prefix, workerId, concurrency, (int)LeaseTtl.TotalMilliseconds,
            ["--latency-ms", latencyMs.ToString(CultureInfo.InvariantCulture), "--block-ms", "500"], Db, LogDirectory, cancellationToken);
        _processes.Add(worker);
        _logs.Add(($"python worker {workerId}", worker.ReadLog));
        return worker;
    }

    /// <summary>
    /// Registers another process (e.g. a throwaway redis-server) to be shown by <see cref="DumpLogs"/> and killed on
    /// dispose, after the Apex processes and the key cleanup.
    /// </summary>
    public void Own(ChildProcess process)
    {
        _owned.Add(process);
        _logs.Add((process.Name, process.ReadLog));
    }

    /// <summary>Adds a log of something the cluster does not own (e.g. a throwaway PostgreSQL) to <see cref="DumpLogs"/>.</summary>
    public void ShowLog(string name, Func<string> read) => _logs.Add((name, read));

    /// <summary>The values of this prefix's leases, by task: <c>"{attempt}|{owner}"</c>.</summary>
    public async Task<IReadOnlyDictionary<Guid, string>> LeasesAsync()
    {
        var leasePrefix = Prefix + ":lease:";
        var server = _redis!.GetServers().First(s => !s.IsReplica);
        var keys = new List<RedisKey>();
        await foreach (var key in server.KeysAsync(pattern: leasePrefix + "*", pageSize: 1000))
        {
            keys.Add(key);
        }
        var values = keys.Count == 0 ? [] : await Db.StringGetAsync([.. keys]);
        var leases = new Dictionary<Guid, string>(keys.Count);
        for (var i = 0; i < keys.Count; i++)
        {
            if (!values[i].IsNull && Guid.TryParse(keys[i].ToString().AsSpan(leasePrefix.Length), out var id))
            {
                leases[id] = values[i]!;
            }
        }
        return leases;
    }

    /// <summary><c>entries-added</c> of a stream of this prefix (<c>work</c> or <c>results</c>): every entry it ever got, deleted or not.</summary>
    public async Task<long> EntriesAddedAsync(string stream)
    {
        var info = (RedisResult[])(await Db.ExecuteAsync("XINFO", "STREAM", $"{Prefix}:{stream}"))!;
        for (var i = 0; i + 1 < info.Length; i += 2)
        {
            if ((string?)info[i] == "entries-added")
            {
                return (long)info[i + 1];
            }
        }
        throw new InvalidOperationException("XINFO STREAM has no entries-added (Redis 7 or later is needed).");
    }

    /// <summary>Writes the tail of every process's log to the test output.</summary>
    public void DumpLogs()
    {
        foreach (var (name, read) in _logs)
        {
            string text;
            try
            {
                text = read();
            }
            catch (IOException e)
            {
                text = $"(log unreadable: {e.Message})";
            }
            var lines = text.Split('\n');
            var tail = lines.Length > LogTailLines ? lines[^LogTailLines..] : lines;
            Report.Line($"---- {name} log (last {tail.Length} of {lines.Length} lines) ----\n{string.Join('\n', tail)}");
        }
    }

    /// <summary>Kills every process, deletes this prefix's keys, drops the database and deletes the worker logs.</summary>
    public async ValueTask DisposeAsync()
    {
        for (var i = _processes.Count - 1; i >= 0; i--)
        {
            await _processes[i].DisposeAsync();
        }
        await DeleteKeysAsync();
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
        foreach (var process in _owned)
        {
            await process.DisposeAsync();
        }
        if (Environment.GetEnvironmentVariable("APEX_TEST_KEEP_LOGS") is { Length: > 0 })
        {
            Report.Line($"Worker logs kept in {LogDirectory} (APEX_TEST_KEEP_LOGS).");
            return;
        }
        try
        {
            Directory.Delete(LogDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS's temp cleanup.
        }
    }

    private static string SharedServerOrSkip(string variable)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(value))
        {
            if (IsCi)
            {
                Assert.Fail($"{variable} is not set, and CI=true: the distributed E2E tests must run in CI.");
            }
            Assert.Skip($"{variable} is not set; distributed E2E tests are skipped.");
        }
        return value.Trim();
    }

    private async Task DeleteKeysAsync()
    {
        if (_redis is not null)
        {
            try
            {
                if (_redis.IsConnected)
                {
                    var server = _redis.GetServers().First(s => !s.IsReplica);
                    var keys = new List<RedisKey>();
                    await foreach (var key in server.KeysAsync(pattern: Prefix + ":*", pageSize: 1000))
                    {
                        keys.Add(key);
                    }
                    if (keys.Count > 0)
                    {
                        await Db.KeyDeleteAsync([.. keys]);
                    }
                }
            }
            catch (RedisException)
            {
                // A throwaway Redis that is already gone.
            }
            await _redis.DisposeAsync();
        }
    }
}
