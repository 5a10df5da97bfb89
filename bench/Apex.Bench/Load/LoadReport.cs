using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Apex.Bench.Load;

/// <summary>One row of the seed's baseline table.</summary>
internal sealed record BaselineRow(string Scenario, OpenLoopResult Run, ResourceUsage Resources);

/// <summary>One column of the seed's stress table.</summary>
internal sealed record StressColumn(double Rate, OpenLoopResult Run, ResourceUsage Resources);

/// <summary>Everything one run measured, printed as the seed's tables (Markdown) and as JSON.</summary>
internal sealed class LoadReport(string machine, string commandLine)
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string Machine { get; } = machine;

    public string CommandLine { get; } = commandLine;

    public DateTimeOffset At { get; } = DateTimeOffset.UtcNow;

    public string Target { get; set; } = "";

    public List<BaselineRow> Baseline { get; } = [];

    public List<StressColumn> Stress { get; } = [];

    public List<DagResult> Dags { get; } = [];

    public List<ThroughputResult> Throughput { get; } = [];

    public List<PeerResult> Peers { get; } = [];

    public List<SubmitFlowResult> SubmitFlows { get; } = [];

    public AgentsResult? Agents { get; set; }

    public SustainedAgentsResult? SustainedAgents { get; set; }

    public RecoveryResult? Recovery { get; set; }

    public string Json() => JsonSerializer.Serialize(this, JsonOptions);

    public string Markdown()
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Machine}; {At:yyyy-MM-dd HH:mm} UTC. Target: {Target}.");
        md.AppendLine(CultureInfo.InvariantCulture, $"Command: `{CommandLine}`");
        md.AppendLine("Open model: fixed arrival rate; latency from each request's intended send time (coordinated omission corrected); HdrHistogram percentiles.");
        if (Baseline.Count > 0)
        {
            md.AppendLine().AppendLine("### Baseline Performance").AppendLine();
            md.AppendLine("| Scenario | RPS | P50 Latency | P95 Latency | P99 Latency | Error Rate |");
            md.AppendLine("|----------|-----|-------------|-------------|-------------|------------|");
            foreach (var row in Baseline)
            {
                var l = row.Run.Latency;
                md.AppendLine(CultureInfo.InvariantCulture, $"| {row.Scenario} | {Rate(row.Run.Throughput)} | {Ms(l.P50)} | {Ms(l.P95)} | {Ms(l.P99)} | {Percent(row.Run.ErrorRate)} |");
            }
            md.AppendLine().AppendLine("Details (RPS above: successful responses per second achieved; offered = the arrival rate):").AppendLine();
            md.AppendLine("| Scenario | Offered | Sent | Errors | P99.9 / max | Service time p50 / p99 (actual send → response) | Largest scheduler lag | Server CPU | RSS |");
            md.AppendLine("|---|---|---|---|---|---|---|---|---|");
            foreach (var row in Baseline)
            {
                var r = row.Run;
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {row.Scenario} | {Rate(r.OfferedRate)}/s | {r.Sent:N0} | {r.Errors:N0}{Kinds(r)} | {Ms(r.Latency.P999)} / {Ms(r.Latency.Max)} | {Ms(r.ServiceTime.P50)} / {Ms(r.ServiceTime.P99)} | {Ms(r.MaxSchedulerLagMs)} | {Cpu(row.Resources)} | {Memory(row.Resources)} |");
            }
        }
        if (Stress.Count > 0)
        {
            md.AppendLine().AppendLine("### Stress Test Results").AppendLine();
            md.AppendLine("| Metric | " + string.Join(" | ", Stress.Select(c => $"{Rate(c.Rate)} RPS")) + " |");
            md.AppendLine("|--------|" + string.Concat(Stress.Select(_ => "---------|")));
            Row(md, "Throughput", Stress.Select(c => Rate(c.Run.Throughput)));
            Row(md, "P95 Latency", Stress.Select(c => Ms(c.Run.Latency.P95)));
            Row(md, "Error Rate", Stress.Select(c => Percent(c.Run.ErrorRate)));
            Row(md, "CPU Usage", Stress.Select(c => Cpu(c.Resources)));
            Row(md, "Memory Usage", Stress.Select(c => Memory(c.Resources)));
            Row(md, "DB Connections", Stress.Select(c => Db(c.Resources)));
            md.AppendLine().AppendLine("CPU Usage: server (and worker) processes' CPU time over wall time, as a share of all cores (cores busy in brackets). "
                + "Memory Usage: their largest resident set sampled. DB Connections: largest `apex_db_connections_active` sampled (and PostgreSQL backends on the Apex database, distributed).");
        }
        if (Dags.Count > 0)
        {
            Section(md, "DAG execution and edge overhead", "| DAG | Shape | DAGs/s | Submit → dag_succeeded p50 / p95 / p99 | Edge overhead (dependency's task_succeeded → dependent's task_started) p50 / p99 / max | Edges measured | Error Rate |");
            foreach (var d in Dags)
            {
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {d.Size} tasks | {d.Shape} | {Rate(d.Run.Throughput)} (offered {Rate(d.Run.OfferedRate)}) | {Ms(d.Run.Latency.P50)} / {Ms(d.Run.Latency.P95)} / {Ms(d.Run.Latency.P99)} | {Ms(d.EdgeOverhead.P50)} / {Ms(d.EdgeOverhead.P99)} / {Ms(d.EdgeOverhead.Max)} | {d.EdgeOverhead.Count:N0} | {Percent(d.Run.ErrorRate)} |");
            }
        }
        if (SubmitFlows.Count > 0)
        {
            Section(md, "Fixed-rate submission: submit and submit → succeeded (one `POST /api/v1/tasks` per task, open model)", "| Offered rate | Achieved | Submit p50 / p99 / max | Submit → succeeded p50 / p99 / max | Errors | Unfinished | Server CPU | RSS |");
            foreach (var f in SubmitFlows)
            {
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {f.Rate:N0}/s | {f.Run.Throughput:N0}/s | {Ms(f.Submit.P50)} / **{Ms(f.Submit.P99)}** / {Ms(f.Submit.Max)} | {Ms(f.Succeeded.P50)} / **{Ms(f.Succeeded.P99)}** / {Ms(f.Succeeded.Max)} | {f.Run.Errors:N0} | {f.Unfinished:N0} | {Cpu(f.Resources)} | {Memory(f.Resources)} |");
            }
            md.AppendLine().AppendLine("Both latencies from each arrival's intended send time; succeeded = the task's `task_succeeded` read on the harness's WebSocket.");
        }
        if (Throughput.Count > 0)
        {
            Section(md, "End-to-end throughput (submit → succeeded)", "| Workload | Submission | Tasks | Succeeded | Submitted in | Tasks/s (first submit → last succeeded) | Server CPU | RSS | DB Connections |");
            foreach (var t in Throughput)
            {
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {t.Workload} | {t.Submission} | {t.Tasks:N0} | {t.Succeeded:N0} | {t.SubmitSeconds:N2} s | **{t.TasksPerSecond:N0}** | {Cpu(t.Resources)} | {Memory(t.Resources)} | {Db(t.Resources)} |");
            }
        }
        if (Peers.Count > 0)
        {
            Section(md, "Peer: Hangfire 1.8, same workloads, same worker count", "| Workload | Apex tasks/s | Storage | Hangfire jobs/s | Apex / Hangfire | Hangfire enqueue time | Hangfire process CPU |");
            foreach (var p in Peers)
            {
                var apex = Throughput.FirstOrDefault(t => t.Workload == p.Workload);
                var ratio = apex is null || p.JobsPerSecond == 0 ? "n/a" : $"{apex.TasksPerSecond / p.JobsPerSecond:N2}×";
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {p.Workload} ({p.Jobs:N0}) | {(apex is null ? "n/a" : apex.TasksPerSecond.ToString("N0", CultureInfo.InvariantCulture))} | {p.Storage} | {p.JobsPerSecond:N0} ({p.Completed:N0} done) | **{ratio}** | {p.EnqueueSeconds:N2} s | {p.CpuCores:N2} cores |");
            }
        }
        if (Agents is { } a)
        {
            Section(md, "Concurrent agents", "| Agents submitted | Simulated LLM latency | Most running at once | Succeeded | Submitted in | All done after | Tasks/s (share of ideal) | Run time p50 / p99 / max | Server CPU | RSS | Worker RSS |");
            var rate = a.Seconds > 0 ? a.Succeeded / a.Seconds : 0;
            var ideal = a.Tasks / (a.LatencyMs / 1000.0);
            var workerRss = a.Resources.WorkerRssMb is { } w ? $"{w.ToString("N0", CultureInfo.InvariantCulture)} MiB" : "n/a (in process)";
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {a.Tasks:N0} | {a.LatencyMs:N0} ms | **{a.MaxRunningAtOnce:N0}** | {a.Succeeded:N0} | {a.SubmitSeconds:N2} s | {a.Seconds:N2} s | **{rate:N0}** ({rate / ideal:P0} of {ideal:N0}) | {Ms(a.RunTime.P50)} / {Ms(a.RunTime.P99)} / {Ms(a.RunTime.Max)} | {Cpu(a.Resources)} | {Memory(a.Resources)} | {workerRss} |");
            md.AppendLine().AppendLine("Ideal: every agent submitted at the same instant and each done after exactly its latency (agents ÷ latency). " +
                "Before the measured burst the same number of zero-latency tasks ran through the same target (JIT warm-up, not recorded). " +
                Watching(a.WatchedOutput));
        }
        if (SustainedAgents is { } sa)
        {
            Section(md, "Concurrent agents, sustained (each one that ends is replaced)", "| Agents kept in flight | Simulated LLM latency | Kept up for | Measured window | Succeeded in window | Tasks/s (share of ideal) | Running at once (mean) | Run time p50 / p99 / max | Server CPU | RSS | Worker RSS |");
            var workerRss = sa.Resources.WorkerRssMb is { } w ? $"{w.ToString("N0", CultureInfo.InvariantCulture)} MiB" : "n/a (in process)";
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {sa.Agents:N0} | {sa.LatencyMs:N0} ms | {sa.Seconds:N1} s ({sa.Submitted:N0} submitted) | {sa.WindowSeconds:N1} s | {sa.SucceededInWindow:N0} | **{sa.TasksPerSecond:N0}** ({sa.TasksPerSecond / sa.Ideal:P0} of {sa.Ideal:N0}) | {sa.MeanRunning:N0} | {Ms(sa.RunTime.P50)} / {Ms(sa.RunTime.P99)} / {Ms(sa.RunTime.Max)} | {Cpu(sa.Resources)} | {Memory(sa.Resources)} | {workerRss} |");
            md.AppendLine().AppendLine("Closed loop: the harness keeps the agents in flight (submitted, not yet seen ended) by submitting a replacement for each " +
                "task whose end it sees. Window: from two latencies after the first start to the end of the loop, by the store's clock. " +
                "Ideal: agents ÷ latency (Little's law); submission, queueing, the writes and event delivery all hold an agent's slot. " +
                Watching(sa.WatchedOutput));
            var free = sa.Agents - sa.MeanQueued - sa.MeanRunning - sa.MeanReporting;
            md.AppendLine().AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"Where the {sa.Agents:N0} slots were, on average over the window: **{sa.MeanQueued:N0}** submitted and not yet started (the request, the submission's write, the queue and the claim's write), **{sa.MeanRunning:N0}** running (started → ended: the agent's call and the result's write), **{sa.MeanReporting:N0}** ended and not yet seen by the harness (event delivery), **{free:N0}** free in the harness, waiting to be submitted again. Submissions: {sa.MeanBatch:N0} tasks a request on average, answered in {Ms(sa.SubmitTime?.P50 ?? 0)} p50, {Ms(sa.SubmitTime?.P99 ?? 0)} p99."));
        }
        if (Recovery is { } rec)
        {
            Section(md, "Recovery after kill -9 of a worker", "| Tasks running on the killed worker | Task length | Lease TTL | Kill → first task_requeued | Kill → all succeeded | Re-queued | Succeeded |");
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {rec.Tasks} | {rec.TaskMs:N0} ms | {rec.LeaseTtlSeconds:N0} s | {rec.KillToFirstRequeueSeconds:N2} s | **{rec.KillToAllSucceededSeconds:N2} s** | {rec.Requeued} | {rec.Succeeded} |");
        }
        return md.ToString();
    }

    private static string Watching(bool output) => output
        ? "The harness's event socket took every event of the tasks channel, the streamed `output_delta` pieces included (`--watch-output`)."
        : "The harness's event socket took the task states only (`filter.event_types`), not the streamed `output_delta` pieces.";

    /// <summary>A section's heading and its table's header row and separator (one column per cell of the header).</summary>
    private static void Section(StringBuilder md, string heading, string header)
    {
        md.AppendLine().AppendLine($"### {heading}").AppendLine();
        md.AppendLine(header);
        md.AppendLine(string.Concat(Enumerable.Repeat("|---", header.Count(c => c == '|') - 1)) + "|");
    }

    private static void Row(StringBuilder md, string metric, IEnumerable<string> values) => md.AppendLine($"| {metric} | {string.Join(" | ", values)} |");

    private static string Rate(double value) => value.ToString(value >= 100 ? "N0" : "N1", CultureInfo.InvariantCulture);

    private static string Ms(double value) => double.IsNaN(value) ? "n/a"
        : value >= 1_000 ? $"{(value / 1_000).ToString("N2", CultureInfo.InvariantCulture)}s"
        : $"{value.ToString(value >= 10 ? "N0" : "N1", CultureInfo.InvariantCulture)}ms";

    private static string Percent(double share) => share == 0 ? "0%" : $"{(share * 100).ToString(share < 0.01 ? "N2" : "N1", CultureInfo.InvariantCulture)}%";

    private static string Kinds(OpenLoopResult r) => r.ErrorKinds.Count == 0 ? "" : $" ({string.Join(", ", r.ErrorKinds.Select(k => $"{k.Key} {k.Value}"))})";

    private static string Cpu(ResourceUsage u) => u.CpuPercent is { } p ? $"{p.ToString("N0", CultureInfo.InvariantCulture)}% ({u.CpuCores!.Value.ToString("N2", CultureInfo.InvariantCulture)} cores)" : "n/a";

    private static string Memory(ResourceUsage u) => u.RssMb is { } mb ? $"{u.RssPercent!.Value.ToString("N1", CultureInfo.InvariantCulture)}% ({mb.ToString("N0", CultureInfo.InvariantCulture)} MiB)" : "n/a";

    private static string Db(ResourceUsage u) => (u.DbConnections, u.PgBackends) switch
    {
        (null, null) => "n/a",
        ({ } db, null) => db.ToString("N0", CultureInfo.InvariantCulture),
        (null, { } pg) => $"{pg} backends",
        ({ } db, { } pg) => $"{db.ToString("N0", CultureInfo.InvariantCulture)} ({pg} backends)",
    };
}
