using System.Globalization;
using System.Text.RegularExpressions;
using Apex.Contracts;
using Apex.Contracts.Tasks;
using Apex.Testing;
using StackExchange.Redis;

namespace Apex.Server.Tests.Conformance;

/// <summary>
/// The distributed backend: each server is the in-memory API host on a PostgreSQL database (emptied before each server)
/// dispatching through Redis Streams under a key prefix of this fixture's own, and the work is run by one real
/// <c>Apex.Worker</c> process shared by the collection. Servers on one prefix must share one store (a result goes to
/// whichever reads it first), so one server runs at a time: the collection's tests run one after another. Without
/// <c>APEX_TEST_PG</c> and <c>APEX_TEST_REDIS</c> every test skips, except under <c>CI=true</c>, where it fails.
/// </summary>
public sealed partial class DistributedBackend : ApexBackend
{
    /// <summary>The collection of the distributed variants.</summary>
    public const string Collection = "Distributed backend";

    // Longer than the E2E's 2 s: nothing here waits for a lease to expire, and a heartbeat late on a busy 2-core box must
    // not turn into a spurious re-dispatch. Sweep and grace stay short so a lost dispatch would still show within a test.
    private static readonly TimeSpan LeaseTtl = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan DispatchGrace = TimeSpan.FromSeconds(1);

    private readonly PostgresDatabase _database = new();
    private readonly SemaphoreSlim _oneServer = new(1, 1);
    private readonly string _logDirectory = Path.Combine(Path.GetTempPath(), "apex-tests", "distributed-" + Guid.NewGuid().ToString("N"));
    private ConnectionMultiplexer? _redis;
    private WorkerProcess? _worker;
    private HttpClient? _workerHealth;

    /// <summary>This fixture's key prefix (<c>Apex:Redis:Prefix</c>).</summary>
    public string Prefix { get; } = $"apexconf:{Guid.NewGuid():N}";

    /// <summary>The worker's id: the owner its leases name.</summary>
    public string WorkerId { get; } = $"conformance-{Guid.NewGuid():N}"[..24];

    /// <inheritdoc />
    public override async ValueTask InitializeAsync()
    {
        if (TestServices.Postgres is null || TestServices.Redis is null)
        {
            return; // Each test skips (or fails under CI) when it asks for a server.
        }
        await _database.InitializeAsync();
        var options = ConfigurationOptions.Parse(TestServices.Redis);
        options.AbortOnConnectFail = false;
        _redis = await ConnectionMultiplexer.ConnectAsync(options);
        var settings = CommonSettings();
        settings["Apex:Worker:Concurrency"] = "32";
        settings["Apex:Simulated:LatencyMs"] = "0";
        _worker = await WorkerProcess.StartAsync(WorkerId, settings, _logDirectory);
        _workerHealth = new HttpClient { BaseAddress = await _worker.ListeningAddressAsync(), Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <inheritdoc />
    public override async Task<BackendServer> StartAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        PostgresDatabase.RequireServer();
        TestServices.Require(TestServices.RedisVariable, "a Redis server");
        if (_worker is null)
        {
            throw new InvalidOperationException("The distributed backend did not start its worker.");
        }
        if (!_oneServer.Wait(0))
        {
            throw new InvalidOperationException("The distributed backend runs one server at a time: servers on one prefix must share one store.");
        }
        try
        {
            await _database.ResetAsync();
            var all = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var (key, value) in CommonSettings())
            {
                all[key] = value;
            }
            all["ConnectionStrings:Postgres"] = _database.ConnectionString;
            all["Apex:Redis:SweepInterval"] = SweepInterval.ToString("c", CultureInfo.InvariantCulture);
            all["Apex:Distributed:DispatchGrace"] = DispatchGrace.ToString("c", CultureInfo.InvariantCulture);
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                all[key] = value;
            }
            return new BackendServer(this, new ApexAppFactory(all), () => _oneServer.Release());
        }
        catch
        {
            _oneServer.Release();
            throw;
        }
    }

    /// <inheritdoc />
    public override async Task<TaskResponse> WaitForRunningAsync(HttpClient client, Guid taskId, TimeSpan deadline, CancellationToken cancellationToken)
    {
        // Running in the store means claimed by the dispatcher; the worker has it once the lease names it.
        TaskResponse? last = null;
        RedisValue lease = default;
        var running = await ApexHttp.PollAsync(async () =>
        {
            last = await client.GetTaskAsync(taskId, cancellationToken);
            if (last.Status != TaskState.Running)
            {
                return null;
            }
            lease = await Redis.StringGetAsync($"{Prefix}:lease:{taskId:D}");
            return lease == $"{last.Attempt}|{WorkerId}" ? last : null;
        }, deadline, cancellationToken);
        return running ?? throw new TimeoutException(
            $"Task {taskId} was not running on worker {WorkerId} within {deadline}; last seen: {last?.Status} attempt {last?.Attempt}, lease '{lease}'.\n{WorkerLogTail()}");
    }

    /// <inheritdoc />
    public override async Task WaitForIdleAsync(HttpClient client, TimeSpan deadline, CancellationToken cancellationToken)
    {
        // In this order: a worker reports a result before it frees the slot, and the server applies a result before it
        // deletes it, so a free worker, then an empty results stream, then no queued or running task means all is applied.
        var last = "nothing";
        var idle = await ApexHttp.PollAsync(async () =>
        {
            var busy = await WorkerBusyAsync(cancellationToken);
            var results = await Redis.StreamLengthAsync($"{Prefix}:results");
            var queued = await CountAsync(client, TaskState.Queued, cancellationToken);
            var running = await CountAsync(client, TaskState.Running, cancellationToken);
            last = $"worker busy={busy}, results waiting={results}, queued={queued}, running={running}";
            return busy == 0 && results == 0 && queued == 0 && running == 0 ? last : null;
        }, deadline, cancellationToken);
        if (idle is null)
        {
            throw new TimeoutException($"The distributed backend was not idle within {deadline}: {last}.\n{WorkerLogTail()}");
        }
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        _workerHealth?.Dispose();
        if (_worker is not null)
        {
            await _worker.DisposeAsync();
        }
        if (_redis is not null)
        {
            await DeleteKeysAsync(_redis);
            await _redis.DisposeAsync();
        }
        await _database.DisposeAsync();
        _oneServer.Dispose();
        try
        {
            if (Directory.Exists(_logDirectory))
            {
                Directory.Delete(_logDirectory, recursive: true);
            }
        }
        catch (IOException)
        {
            // Left to the OS's temp cleanup.
        }
        await base.DisposeAsync();
    }

    private IDatabase Redis => (_redis ?? throw new InvalidOperationException("Not connected.")).GetDatabase();

    /// <summary>Settings the server and the worker share: the Redis, the prefix, the lease TTL.</summary>
    private Dictionary<string, string> CommonSettings() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["ConnectionStrings:Redis"] = TestServices.Redis!,
        ["Apex:Redis:Prefix"] = Prefix,
        ["Apex:Redis:LeaseTtl"] = LeaseTtl.ToString("c", CultureInfo.InvariantCulture),
        // StackExchange.Redis narrates every connect at Information.
        ["Logging:LogLevel:StackExchange.Redis"] = "Warning",
    };

    /// <summary>The executions the worker holds right now, from its readiness endpoint (its presence hash lags a heartbeat).</summary>
    private async Task<int> WorkerBusyAsync(CancellationToken cancellationToken)
    {
        var text = await _workerHealth!.GetStringAsync("/health/ready", cancellationToken);
        var match = BusyCount().Match(text);
        return match.Success
            ? int.Parse(match.Groups["busy"].ValueSpan, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"Unexpected worker readiness answer: {text}");
    }

    private static async Task<int> CountAsync(HttpClient client, TaskState status, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync($"/api/v1/tasks?limit=1&status={status.ToString().ToLowerInvariant()}", cancellationToken);
        return (await response.ReadAsync(ApexJsonContext.Default.PageTaskResponse, cancellationToken)).Items.Count;
    }

    private string WorkerLogTail()
    {
        var lines = _worker?.ReadLog().Split('\n') ?? [];
        return $"---- worker log (last {Math.Min(lines.Length, 40)} lines) ----\n{string.Join('\n', lines[^Math.Min(lines.Length, 40)..])}";
    }

    private async Task DeleteKeysAsync(ConnectionMultiplexer redis)
    {
        try
        {
            var server = redis.GetServers().First(s => !s.IsReplica);
            var keys = new List<RedisKey>();
            await foreach (var key in server.KeysAsync(pattern: Prefix + ":*", pageSize: 1000))
            {
                keys.Add(key);
            }
            if (keys.Count > 0)
            {
                await redis.GetDatabase().KeyDeleteAsync([.. keys]);
            }
        }
        catch (RedisException)
        {
            // The throwaway Redis is already gone.
        }
    }

    [GeneratedRegex(@"ready: .*, (?<busy>\d+) busy")]
    private static partial Regex BusyCount();
}
