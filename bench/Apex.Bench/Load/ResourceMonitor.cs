using System.Diagnostics;

namespace Apex.Bench.Load;

/// <summary>What the server side spent during one measured phase.</summary>
/// <param name="CpuCores">CPU time of the server (and worker) processes over wall time: cores busy on average.</param>
/// <param name="CpuPercent">The same as a share of the machine's cores.</param>
/// <param name="RssMb">Largest resident set sampled, server and worker summed (MiB).</param>
/// <param name="RssPercent">The same as a share of the machine's memory.</param>
/// <param name="DbConnections">Largest <c>apex_db_connections_active</c> sampled (the server's store connections).</param>
/// <param name="PgBackends">Distributed: largest count of PostgreSQL backends on the Apex database.</param>
internal sealed record ResourceUsage(double? CpuCores, double? CpuPercent, double? RssMb, double? RssPercent, double? DbConnections, long? PgBackends,
    double? WorkerRssMb = null);

/// <summary>
/// Samples the target every 250 ms while a phase runs: resident memory of its processes (from <c>/proc</c>), the
/// server's store connections (<c>/metrics</c>) and, in distributed mode, PostgreSQL's backends on the Apex database.
/// CPU is the processes' CPU time at the end minus at the start, over the wall time between.
/// </summary>
internal sealed class ResourceMonitor : IAsyncDisposable
{
    private readonly LoadTarget _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private readonly TimeSpan _cpuStart;
    private readonly long _started = Stopwatch.GetTimestamp();
    private double? _rss;
    private double? _workerRss;
    private double? _db;
    private long? _pg;

    private ResourceMonitor(LoadTarget target)
    {
        _target = target;
        _cpuStart = Cpu();
        _sampler = Task.Run(SampleAsync);
    }

    public static ResourceMonitor Start(LoadTarget target) => new(target);

    private TimeSpan Cpu() => _target.Processes.Aggregate(TimeSpan.Zero, (sum, p) => sum + p.CpuTime);

    private async Task SampleAsync()
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (_target.Processes.Any())
                {
                    var rss = _target.Processes.Where(p => !p.HasExited).Sum(p => p.Rss) / (1024.0 * 1024.0);
                    _rss = Math.Max(_rss ?? 0, rss);
                }
                if (_target.Worker is { HasExited: false } worker)
                {
                    _workerRss = Math.Max(_workerRss ?? 0, worker.Rss / (1024.0 * 1024.0));
                }
                if (await _target.DbConnectionsAsync(ct) is { } db)
                {
                    _db = Math.Max(_db ?? 0, db);
                }
                if (await _target.PgBackendsAsync(ct) is { } pg)
                {
                    _pg = Math.Max(_pg ?? 0, pg);
                }
                await Task.Delay(250, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or Npgsql.NpgsqlException or InvalidOperationException)
            {
                // A sample lost under load is not a measurement error; the next one counts.
            }
        }
    }

    /// <summary>Stops sampling and returns what the phase spent.</summary>
    public async Task<ResourceUsage> StopAsync()
    {
        var wall = Stopwatch.GetElapsedTime(_started).TotalSeconds;
        var cpu = (Cpu() - _cpuStart).TotalSeconds;
        await _stop.CancelAsync();
        await _sampler;
        var measured = _target.Processes.Any();
        double? cores = measured ? cpu / wall : null;
        return new ResourceUsage(cores, cores * 100 / Environment.ProcessorCount, _rss, _rss is { } rss ? rss * 100 / TotalMemoryMb() : null, _db, _pg, _workerRss);
    }

    private static double TotalMemoryMb()
    {
        var line = File.Exists("/proc/meminfo") ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)) : null;
        return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
            await _sampler;
        }
        _stop.Dispose();
    }
}
