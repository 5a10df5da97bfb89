using System.CommandLine;
using System.Globalization;

namespace Apex.Bench.Load;

/// <summary>
/// <c>load &lt;scenario&gt;</c>: the load harness of issue 8. An open-model generator (fixed arrival rate, latency from
/// the intended send time, HdrHistogram percentiles) against a server it starts on loopback (embedded, or distributed
/// with a worker on the PostgreSQL and Redis it is given) or one named by <c>--url</c>; the seed's load-test tables in
/// Markdown plus JSON, with the server side's CPU, memory and store connections. <c>--peer hangfire</c> adds Hangfire
/// 1.8 on the same PostgreSQL and Redis for the throughput workloads. Every phase is bounded in time and count.
/// </summary>
internal static class LoadHarness
{
    public static readonly string[] Scenarios =
        ["health", "create-task", "get-task", "list-tasks", "ws-connect", "ws-delivery", "baseline", "stress", "dag", "submit-flow", "e2e", "agents", "recovery", "all"];

    public static Command Command()
    {
        var scenario = new Argument<string>("scenario") { Description = $"One of: {string.Join(", ", Scenarios)}." };
        scenario.AcceptOnlyFromAmong(Scenarios);
        var mode = new Option<string>("--mode") { DefaultValueFactory = _ => "embedded", Description = "embedded (SQLite) or distributed (PostgreSQL + Redis + a worker process)." };
        mode.AcceptOnlyFromAmong("embedded", "distributed");
        var url = new Option<string?>("--url") { Description = "A running server (loopback) instead of starting one: no CPU or memory figures then." };
        var pg = new Option<string?>("--pg") { Description = "PostgreSQL connection string whose user may create databases (distributed mode, Hangfire peer). Default: $APEX_TEST_PG." };
        var redis = new Option<string?>("--redis") { Description = "Redis endpoint (distributed mode, Hangfire peer). Default: $APEX_TEST_REDIS." };
        var rate = new Option<double?>("--rate") { Description = "Arrivals per second of a single request or DAG scenario (default: per scenario, see bench/README.md)." };
        var duration = new Option<double>("--duration") { DefaultValueFactory = _ => 10, Description = "Seconds of arrivals measured per phase." };
        var warmup = new Option<double>("--warmup") { DefaultValueFactory = _ => 2, Description = "Seconds of arrivals at the same rate run first, not measured." };
        var maxRequests = new Option<int>("--max-requests") { DefaultValueFactory = _ => 100_000, Description = "Most arrivals per phase, whatever the duration." };
        var maxInFlight = new Option<int>("--max-in-flight") { DefaultValueFactory = _ => 2_000, Description = "Requests outstanding at once (waiting for a slot counts as latency)." };
        var requestTimeout = new Option<double>("--request-timeout") { DefaultValueFactory = _ => 10, Description = "Seconds before a request (or a DAG run) counts as an error." };
        var stressRates = new Option<string>("--stress-rates") { DefaultValueFactory = _ => "100,500,1000,2000", Description = "Arrival rates of the stress ladder." };
        var flowRates = new Option<string>("--flow-rates") { DefaultValueFactory = _ => "1000,7500", Description = "submit-flow: arrival rates of one POST /api/v1/tasks each (the issue's latency targets are at 1,000 and 7,500/s)." };
        var stressMix = new Option<string>("--stress-mix") { DefaultValueFactory = _ => "mix", Description = "Stress requests: mix (1 create, 2 get, 1 list per 4) or one scenario name." };
        var tasks = new Option<int>("--tasks") { DefaultValueFactory = _ => 2_000, Description = "Tasks (jobs) per end-to-end throughput workload." };
        var submit = new Option<string>("--submit") { DefaultValueFactory = _ => "batch", Description = "End-to-end submissions: batch (POST /api/v1/tasks/batch, 1,000 a request) or request (one POST per task)." };
        submit.AcceptOnlyFromAmong("batch", "request");
        var submitters = new Option<int?>("--submitters") { Description = "Concurrent submitting clients (and Hangfire enqueuers); default 4 batched, 64 per request." };
        var sleepTasks = new Option<int>("--sleep-tasks") { DefaultValueFactory = _ => 256, Description = "Tasks (jobs) of the 1-second-sleep workload." };
        var concurrency = new Option<int>("--concurrency") { DefaultValueFactory = _ => 64, Description = "Agent executions at once (embedded workers, Apex.Worker, Hangfire WorkerCount)." };
        var agents = new Option<int>("--agents") { DefaultValueFactory = _ => 1_000, Description = "Concurrent agents scenario: tasks in flight at once (the issue's figure is 10,000)." };
        var agentLatency = new Option<int>("--agent-latency-ms") { DefaultValueFactory = _ => 2_000, Description = "Concurrent agents scenario: simulated LLM latency." };
        var agentsDuration = new Option<double>("--agents-duration")
        {
            DefaultValueFactory = _ => 30,
            Description = "Concurrent agents scenario: seconds the agents are kept in flight after the burst (each one that ends replaced); 0 skips it.",
        };
        var watchOutput = new Option<bool>("--watch-output")
        {
            Description = "Concurrent agents scenario: the harness's event socket takes every output_delta of the streaming agents too (default: task states only).",
        };
        var leaseTtl = new Option<double>("--lease-ttl") { DefaultValueFactory = _ => 5, Description = "Recovery scenario: Apex:Redis:LeaseTtl in seconds (default of the service: 30)." };
        var wsClients = new Option<int>("--ws-clients") { DefaultValueFactory = _ => 100, Description = "ws-delivery: WebSocket clients subscribed to every task event (the ws bench; its figures: 1,000)." };
        var wsRate = new Option<int>("--ws-rate") { DefaultValueFactory = _ => 10, Description = "ws-delivery: tasks submitted per second (three stored events each)." };
        var peer = new Option<string?>("--peer") { Description = "hangfire: run the throughput workloads on Hangfire 1.8 too (PostgreSQL and Redis storages) and print Apex/Hangfire ratios." };
        var peerStorages = new Option<string>("--peer-storages") { DefaultValueFactory = _ => "postgresql,redis", Description = "Hangfire storages to run." };
        var json = new Option<string?>("--json") { Description = "Where to write the JSON results (default: apex-load-<scenario>-<UTC time>.json in the current directory)." };
        var keepDatabase = new Option<bool>("--keep-database")
        {
            Description = "Distributed mode: keep the run's PostgreSQL database (its name is printed) to study its events and rows afterwards.",
        };
        var runTimeout = new Option<double>("--run-timeout") { DefaultValueFactory = _ => 900, Description = "Seconds the whole run may take before the harness gives up." };
        var command = new Command("load", "Load harness: the seed's load-test tables (open model, coordinated-omission corrected), optionally with Hangfire as a peer.")
        {
            scenario, mode, url, pg, redis, rate, duration, warmup, maxRequests, maxInFlight, requestTimeout, stressRates, flowRates, stressMix, tasks, submit, submitters, sleepTasks,
            concurrency, agents, agentLatency, agentsDuration, watchOutput, leaseTtl, wsClients, wsRate, peer, peerStorages, json, keepDatabase, runTimeout,
        };
        command.SetAction(async (parse, ct) =>
        {
            var settings = new Settings(
                parse.GetValue(scenario)!,
                new TargetOptions(parse.GetValue(mode)!, parse.GetValue(url),
                    parse.GetValue(pg) ?? Environment.GetEnvironmentVariable("APEX_TEST_PG"),
                    parse.GetValue(redis) ?? Environment.GetEnvironmentVariable("APEX_TEST_REDIS"),
                    parse.GetValue(concurrency), parse.GetValue(keepDatabase)),
                parse.GetValue(rate), TimeSpan.FromSeconds(parse.GetValue(duration)), TimeSpan.FromSeconds(parse.GetValue(warmup)),
                parse.GetValue(maxRequests), parse.GetValue(maxInFlight), TimeSpan.FromSeconds(parse.GetValue(requestTimeout)),
                [.. parse.GetValue(stressRates)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(r => double.Parse(r, CultureInfo.InvariantCulture))],
                [.. parse.GetValue(flowRates)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(r => double.Parse(r, CultureInfo.InvariantCulture))],
                parse.GetValue(stressMix)!, parse.GetValue(tasks),
                new Submit(parse.GetValue(submit) == "batch", parse.GetValue(submitters) ?? (parse.GetValue(submit) == "batch" ? 4 : 64)), parse.GetValue(sleepTasks), parse.GetValue(agents), parse.GetValue(agentLatency), TimeSpan.FromSeconds(parse.GetValue(agentsDuration)), parse.GetValue(watchOutput),
                TimeSpan.FromSeconds(parse.GetValue(leaseTtl)), parse.GetValue(wsClients), parse.GetValue(wsRate), parse.GetValue(peer),
                [.. parse.GetValue(peerStorages)!.Split(',', StringSplitOptions.RemoveEmptyEntries)],
                parse.GetValue(json) ?? $"apex-load-{parse.GetValue(scenario)}-{DateTimeOffset.UtcNow:yyyyMMdd'T'HHmmss}.json",
                "dotnet run -c Release --project bench/Apex.Bench -- " + string.Join(' ', parse.Tokens.Select(t => t.Value)));
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(TimeSpan.FromSeconds(parse.GetValue(runTimeout)));
            try
            {
                return await RunAsync(settings, deadline.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                Console.Error.WriteLine($"Gave up after the run timeout ({parse.GetValue(runTimeout)} s).");
                return 1;
            }
        });
        return command;
    }

    /// <summary>Default arrival rate of each scenario: small enough for a 2-core box running client and server together.</summary>
    /// <summary>The seed's baseline table's rates (its RPS column), so each row is measured where the seed put it.</summary>
    private static double DefaultRate(string scenario) => scenario switch
    {
        "health" => 10_000,
        "create-task" => 1_000,
        "get-task" => 5_000,
        "list-tasks" => 500,
        "ws-connect" => 1_000,
        "dag" => 100,
        _ => 100,
    };

    private static async Task<int> RunAsync(Settings s, CancellationToken ct)
    {
        if (s.Peer is not (null or "hangfire"))
        {
            Console.Error.WriteLine("--peer: only hangfire is known.");
            return 2;
        }
        var report = new LoadReport(Machine.Describe(), s.CommandLine);
        var scenario = s.Scenario;
        bool Runs(params string[] names) => names.Contains(scenario) || scenario == "all";
        var failed = false;

        await using (var target = await LoadTarget.StartAsync(s.Target, ct))
        {
            report.Target = target.Describe();
            var requestScenarios = scenario switch
            {
                "baseline" or "all" => HttpScenarios.Baseline,
                _ when HttpScenarios.Baseline.Contains(scenario) => [scenario],
                _ => [],
            };
            foreach (var name in requestScenarios)
            {
                Console.Error.WriteLine($"[load] {name} at {s.Rate ?? DefaultRate(name)}/s for {s.Duration.TotalSeconds} s");
                var row = await RequestPhaseAsync(target, name, s.Rate ?? DefaultRate(name), s, ct);
                report.Baseline.Add(new BaselineRow(HttpScenarios.Title(name), row.Run, row.Resources));
                failed |= row.Run.Succeeded == 0;
            }
            if (Runs("ws-delivery", "baseline"))
            {
                // Event delivery is the ws bench's measurement (commit → client, fan-out spread), run on this target.
                var tasks = Math.Max(1, (int)(s.WsRate * s.Duration.TotalSeconds));
                Console.Error.WriteLine($"[load] ws-delivery: {s.WsClients} clients, {tasks} tasks at {s.WsRate}/s");
                Console.WriteLine("### WebSocket event delivery (the ws bench on the same target)");
                Console.WriteLine();
                failed |= await WebSocketFanOut.RunAgainstAsync(target.BaseAddress.ToString(), s.WsClients, tasks, Math.Max(1, (int)(s.WsRate * s.Warmup.TotalSeconds)),
                    s.WsRate, TimeSpan.FromSeconds(120), ct) != 0;
                Console.WriteLine();
            }
            if (Runs("dag", "baseline"))
            {
                foreach (var size in new[] { 3, 10 })
                {
                    var rate = s.Rate is { } r && scenario == "dag" ? r : DefaultRate("dag");
                    Console.Error.WriteLine($"[load] DAG of {size} at {rate}/s for {s.Duration.TotalSeconds} s");
                    var dag = await FlowScenarios.DagAsync(target, size, s.ScheduleFor(rate), s.WarmupFor(rate), ct);
                    report.Dags.Add(dag);
                    report.Baseline.Add(new BaselineRow($"DAG Execution ({size} tasks)", dag.Run, dag.Resources));
                    failed |= dag.Run.Succeeded == 0;
                }
            }
            if (Runs("stress"))
            {
                foreach (var rate in s.StressRates)
                {
                    Console.Error.WriteLine($"[load] stress ({s.StressMix}) at {rate}/s for {s.Duration.TotalSeconds} s");
                    var row = await RequestPhaseAsync(target, s.StressMix, rate, s, ct);
                    report.Stress.Add(new StressColumn(rate, row.Run, row.Resources));
                }
            }
            if (Runs("submit-flow"))
            {
                foreach (var rate in s.FlowRates)
                {
                    Console.Error.WriteLine($"[load] submit-flow at {rate}/s for {s.Duration.TotalSeconds} s");
                    var flow = await SubmitFlow.RunAsync(target, rate, s.ScheduleFor(rate), s.WarmupFor(rate), TimeSpan.FromSeconds(60), ct);
                    report.SubmitFlows.Add(flow);
                    failed |= flow.Run.Succeeded == 0;
                }
            }
            if (Runs("e2e"))
            {
                foreach (var (workload, count) in new[] { ("no-op", s.Tasks), ("sleep-1s", s.SleepTasks) })
                {
                    Console.Error.WriteLine($"[load] end to end, {workload}, {count} tasks");
                    var result = await FlowScenarios.ThroughputAsync(target, workload, count, s.Submit, TimeSpan.FromSeconds(120), ct);
                    report.Throughput.Add(result);
                    failed |= result.Succeeded < count;
                }
            }
        }

        if (Runs("e2e") && s.Peer == "hangfire")
        {
            foreach (var storage in s.PeerStorages)
            {
                foreach (var (workload, count) in new[] { ("no-op", s.Tasks), ("sleep-1s", s.SleepTasks) })
                {
                    Console.Error.WriteLine($"[load] Hangfire on {storage}, {workload}, {count} jobs");
                    var peer = await HangfirePeer.RunAsync(storage, workload, count, s.Target.Concurrency, s.Submit.Submitters, s.Target.Postgres, s.Target.Redis, TimeSpan.FromSeconds(120), ct);
                    report.Peers.Add(peer);
                    failed |= peer.Completed < count;
                }
            }
        }

        if (Runs("agents"))
        {
            // A target of its own: its concurrency must hold every agent at once.
            await using var target = await LoadTarget.StartAsync(s.Target with { Concurrency = Math.Max(s.Agents, s.Target.Concurrency) }, ct,
                s.Target.Distributed ? new Dictionary<string, string> { ["Apex:Distributed:MaxInFlight"] = Math.Max(s.Agents, 20_000).ToString(CultureInfo.InvariantCulture) } : null);
            Console.Error.WriteLine($"[load] {s.Agents} concurrent agents, {s.AgentLatencyMs} ms each");
            var result = await FlowScenarios.AgentsAsync(target, s.Agents, s.AgentLatencyMs, s.WatchOutput, TimeSpan.FromSeconds(120), ct);
            report.Agents = result;
            failed |= result.Succeeded < s.Agents;
            if (s.AgentsDuration > TimeSpan.Zero)
            {
                Console.Error.WriteLine($"[load] {s.Agents} agents kept in flight for {s.AgentsDuration.TotalSeconds:N0} s");
                var sustained = await FlowScenarios.SustainedAgentsAsync(target, s.Agents, s.AgentLatencyMs, s.AgentsDuration, s.WatchOutput, TimeSpan.FromSeconds(120), ct);
                report.SustainedAgents = sustained;
                failed |= sustained.Succeeded < sustained.Submitted;
            }
        }

        if (Runs("recovery"))
        {
            if (!s.Target.Distributed || s.Target.Url is not null)
            {
                Console.Error.WriteLine("[load] recovery needs --mode distributed (a worker the harness starts and kills): skipped.");
                failed |= scenario == "recovery";
            }
            else
            {
                await using var target = await LoadTarget.StartAsync(s.Target, ct, new Dictionary<string, string>
                {
                    ["Apex:Redis:LeaseTtl"] = s.LeaseTtl.ToString("c", CultureInfo.InvariantCulture),
                });
                var count = Math.Min(s.Target.Concurrency, 50);
                Console.Error.WriteLine($"[load] recovery: {count} tasks of 3 s, kill -9 of the worker once all started");
                var result = await FlowScenarios.RecoveryAsync(target, count, 3_000, TimeSpan.FromSeconds(60) + (4 * s.LeaseTtl), ct);
                report.Recovery = result;
                failed |= result.Succeeded < count;
            }
        }

        Console.WriteLine(report.Markdown());
        await File.WriteAllTextAsync(s.Json, report.Json(), ct);
        Console.Error.WriteLine($"[load] JSON: {Path.GetFullPath(s.Json)}");
        return failed ? 1 : 0;
    }

    private static async Task<(OpenLoopResult Run, ResourceUsage Resources)> RequestPhaseAsync(LoadTarget target, string scenario, double rate, Settings s, CancellationToken ct)
    {
        var send = await HttpScenarios.PrepareAsync(scenario, target, ct);
        if (s.Warmup > TimeSpan.Zero)
        {
            await OpenLoop.RunAsync(s.WarmupFor(rate), (i, token) => send(i, token), ct);
        }
        await using var monitor = ResourceMonitor.Start(target);
        var run = await OpenLoop.RunAsync(s.ScheduleFor(rate), (i, token) => send(i, token), ct);
        return (run, await monitor.StopAsync());
    }

    private sealed record Settings(
        string Scenario,
        TargetOptions Target,
        double? Rate,
        TimeSpan Duration,
        TimeSpan Warmup,
        int MaxRequests,
        int MaxInFlight,
        TimeSpan RequestTimeout,
        double[] StressRates,
        double[] FlowRates,
        string StressMix,
        int Tasks,
        Submit Submit,
        int SleepTasks,
        int Agents,
        int AgentLatencyMs,
        TimeSpan AgentsDuration,
        bool WatchOutput,
        TimeSpan LeaseTtl,
        int WsClients,
        int WsRate,
        string? Peer,
        string[] PeerStorages,
        string Json,
        string CommandLine)
    {
        public Schedule ScheduleFor(double rate) => new(rate, Duration, MaxRequests, MaxInFlight, RequestTimeout);

        public Schedule WarmupFor(double rate) => new(rate, Warmup, MaxRequests, MaxInFlight, RequestTimeout);
    }
}
