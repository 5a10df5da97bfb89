using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Apex.Bench.Load;

/// <summary>Where the load goes and what the harness may start.</summary>
/// <param name="Mode">embedded (SQLite, in-process workers) or distributed (PostgreSQL + Redis + a worker process).</param>
/// <param name="Url">A running server to target instead of starting one (loopback only; no CPU or memory figures then).</param>
/// <param name="Postgres">Distributed: a PostgreSQL connection string whose user may create databases.</param>
/// <param name="Redis">Distributed: a Redis endpoint (<c>127.0.0.1:6379</c>).</param>
/// <param name="Concurrency">Agent executions at once: the embedded engine's or the worker's.</param>
internal sealed record TargetOptions(string Mode, string? Url, string? Postgres, string? Redis, int Concurrency, bool KeepDatabase = false)
{
    public bool Distributed => Mode == "distributed";
}

/// <summary>
/// The system under load: a server (and in distributed mode a worker) the harness started on loopback, with a fresh
/// SQLite file or a fresh PostgreSQL database and Redis key prefix of its own, or a running server named by <c>--url</c>.
/// </summary>
internal sealed class LoadTarget : IAsyncDisposable
{
    private readonly List<ApexProcess> _processes = [];
    private string? _database;
    private string? _adminConnection;

    private LoadTarget(TargetOptions options) => Options = options;

    public TargetOptions Options { get; }

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public ApexProcess? Server => _processes.FirstOrDefault(p => p.Name == "Apex.Server");

    public ApexProcess? Worker => _processes.LastOrDefault(p => p.Name == "Apex.Worker");

    /// <summary>Distributed: the Apex database the server uses (to count its backends).</summary>
    public NpgsqlDataSource? Database { get; private set; }

    /// <summary>Processes whose CPU and memory count as the server side (server and workers; not PostgreSQL or Redis).</summary>
    public IEnumerable<ApexProcess> Processes => _processes;

    /// <summary>Server and worker settings the run needs beyond the defaults (concurrency, latency).</summary>
    public Dictionary<string, string> ServerSettings { get; } = [];

    public string Describe() => Options.Url is { } url
        ? $"server at {url}"
        : Options.Distributed
            ? $"distributed: 1 Apex.Server + 1 Apex.Worker (concurrency {Options.Concurrency}), PostgreSQL database {_database}, Redis {Options.Redis} (Release builds, zero-latency Simulated agent)"
            : $"embedded: 1 Apex.Server (SQLite synchronous=FULL, {Options.Concurrency} in-process workers; Release build, zero-latency Simulated agent)";

    public static async Task<LoadTarget> StartAsync(TargetOptions options, CancellationToken ct, IReadOnlyDictionary<string, string>? extra = null)
    {
        var target = new LoadTarget(options);
        try
        {
            await target.StartCoreAsync(extra ?? new Dictionary<string, string>(), ct);
            return target;
        }
        catch
        {
            await target.DisposeAsync();
            throw;
        }
    }

    private void Connect(string url)
    {
        BaseAddress = new Uri(url);
        if (!BaseAddress.IsLoopback)
        {
            throw new ArgumentException("The load harness only targets loopback addresses.");
        }
        Http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 4_096,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        })
        {
            BaseAddress = BaseAddress,
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    private async Task StartCoreAsync(IReadOnlyDictionary<string, string> extra, CancellationToken ct)
    {
        var concurrency = Options.Concurrency.ToString(CultureInfo.InvariantCulture);
        ServerSettings["Apex:Engine:DefaultAgentMaxConcurrency"] = concurrency;
        ServerSettings["Apex:Simulated:LatencyMs"] = "0";
        ServerSettings["Apex:Simulated:LatencyJitter"] = "0";
        // The harness's own event watcher is one socket that must see every task event of a burst (10,000 agents
        // submitted at once are 30,000 events in a few seconds): the default 4,096 would close it as a slow reader.
        ServerSettings["Apex:WebSocket:SendQueueCapacity"] = "262144";
        if (Options.Url is null)
        {
            if (Options.Distributed)
            {
                if (Options.Postgres is null || Options.Redis is null)
                {
                    throw new ArgumentException("--mode distributed needs --pg and --redis (a PostgreSQL that may create databases, and a Redis).");
                }
                var id = Guid.NewGuid().ToString("N")[..10];
                _database = $"apex_load_{id}";
                _adminConnection = Options.Postgres;
                await ExecuteAsync(_adminConnection, $"CREATE DATABASE {_database}", ct);
                var apexDb = new NpgsqlConnectionStringBuilder(Options.Postgres) { Database = _database }.ConnectionString;
                Database = NpgsqlDataSource.Create(apexDb);
                ServerSettings["ConnectionStrings:Postgres"] = apexDb;
                ServerSettings["ConnectionStrings:Redis"] = Options.Redis;
                ServerSettings["Apex:Redis:Prefix"] = $"apexload{id}";
            }
            else
            {
                ServerSettings["Apex:Engine:MaxConcurrency"] = concurrency;
            }
            foreach (var (key, value) in extra)
            {
                ServerSettings[key] = value;
            }
            _processes.Add(await ApexProcess.StartServerAsync(ServerSettings, ct));
            Connect(Server!.Url);
            if (Options.Distributed)
            {
                await StartWorkerAsync(ct);
            }
        }
        else
        {
            Connect(Options.Url);
        }
        await WaitReadyAsync(ct);
    }

    /// <summary>Distributed: starts a(nother) worker on the same Redis and prefix.</summary>
    public async Task<ApexProcess> StartWorkerAsync(CancellationToken ct)
    {
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:Redis"] = ServerSettings["ConnectionStrings:Redis"],
            ["Apex:Redis:Prefix"] = ServerSettings["Apex:Redis:Prefix"],
            ["Apex:Worker:Concurrency"] = Options.Concurrency.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in ServerSettings.Where(s => s.Key.StartsWith("Apex:Simulated:", StringComparison.Ordinal) || s.Key.StartsWith("Apex:Redis:", StringComparison.Ordinal)))
        {
            settings[key] = value;
        }
        var worker = await ApexProcess.StartWorkerAsync(settings, ct);
        _processes.Add(worker);
        var clock = Stopwatch.StartNew();
        while (await WorkerBusyAsync(worker, ct) is null && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(100, ct);
        }
        return worker;
    }

    /// <summary>Agent executions the worker is running now (its <c>/health/ready</c> says "ready: id, N busy"); null when not ready.</summary>
    public async Task<int?> WorkerBusyAsync(ApexProcess worker, CancellationToken ct)
    {
        try
        {
            using var response = await Http.GetAsync(new Uri(new Uri(worker.Url), "health/ready"), ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            var busy = text.LastIndexOf(" busy", StringComparison.Ordinal);
            var comma = text.LastIndexOf(", ", StringComparison.Ordinal);
            return response.IsSuccessStatusCode && busy > comma && comma > 0 && int.TryParse(text.AsSpan(comma + 2, busy - comma - 2), out var n) ? n : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private async Task WaitReadyAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var response = await Http.GetAsync("health/ready", ct);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (clock.Elapsed < TimeSpan.FromSeconds(60))
            {
            }
            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"{BaseAddress} did not become ready in 60 s.");
            }
            await Task.Delay(100, ct);
        }
    }

    /// <summary>Server-side connections to the store now: <c>apex_db_connections_active</c> from <c>/metrics</c>.</summary>
    public async Task<double?> DbConnectionsAsync(CancellationToken ct)
    {
        try
        {
            var text = await Http.GetStringAsync("metrics", ct);
            foreach (var line in text.AsSpan().EnumerateLines())
            {
                if (line.StartsWith("apex_db_connections_active") && line.LastIndexOf(' ') is var space and > 0
                    && double.TryParse(line[(space + 1)..], CultureInfo.InvariantCulture, out var value))
                {
                    return value;
                }
            }
        }
        catch (HttpRequestException)
        {
        }
        return null;
    }

    /// <summary>Distributed: PostgreSQL backends connected to the Apex database now (every server and pool).</summary>
    public async Task<long?> PgBackendsAsync(CancellationToken ct)
    {
        if (_adminConnection is null)
        {
            return null;
        }
        await using var connection = new NpgsqlConnection(_adminConnection);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = @db", connection);
        command.Parameters.AddWithValue("db", _database!);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Runs one statement on its own connection (database creation and removal).</summary>
    internal static async Task ExecuteAsync(string connectionString, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }
        if (Database is not null)
        {
            await Database.DisposeAsync();
        }
        if (_database is not null && _adminConnection is not null && Options.KeepDatabase)
        {
            Console.Error.WriteLine($"[load] kept PostgreSQL database {_database} (--keep-database): drop it when done");
        }
        else if (_database is not null && _adminConnection is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(_adminConnection, $"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", CancellationToken.None);
        }
    }
}
