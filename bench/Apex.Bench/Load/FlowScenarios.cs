using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Apex.Bench.Load;

/// <summary>Submit → succeeded throughput of one workload.</summary>
internal sealed record ThroughputResult(string Workload, string Submission, int Tasks, int Succeeded, double SubmitSeconds, double Seconds, ResourceUsage Resources)
{
    public double TasksPerSecond => Seconds > 0 ? Succeeded / Seconds : 0;
}

/// <summary>How a throughput run submits: 1,000 tasks a request or one a request, by how many concurrent clients.</summary>
internal sealed record Submit(bool Batched, int Submitters)
{
    public override string ToString() => Batched ? $"batches of 1,000, {Submitters} clients" : $"one request per task, {Submitters} clients";
}

/// <summary>DAG runs at a fixed arrival rate and the hand-off time of their edges.</summary>
internal sealed record DagResult(int Size, string Shape, OpenLoopResult Run, LatencySummary EdgeOverhead, ResourceUsage Resources);

/// <summary>Many slow agents at once on one worker.</summary>
internal sealed record AgentsResult(int Tasks, int LatencyMs, int MaxRunningAtOnce, int Succeeded, double SubmitSeconds, double Seconds, LatencySummary RunTime, ResourceUsage Resources,
    bool WatchedOutput);

/// <summary>
/// Many slow agents kept in flight for a while (closed loop: each one that ends is replaced): the rate the system sustains
/// once the loop is full, against the ideal of agents ÷ latency (Little's law).
/// </summary>
/// <remarks>
/// Where the agents' slots went, on average over the window: <see cref="MeanQueued"/> from the submission leaving the
/// harness to the task's start, <see cref="MeanRunning"/> started → ended, <see cref="MeanReporting"/> from the end to the
/// harness seeing it; the rest of the <see cref="Agents"/> slots were free in the harness, waiting to be submitted again.
/// </remarks>
internal sealed record SustainedAgentsResult(int Agents, int LatencyMs, double Seconds, double WindowSeconds, int Submitted, int SucceededInWindow,
    double MeanRunning, int Succeeded, LatencySummary RunTime, ResourceUsage Resources, bool WatchedOutput, double MeanQueued = 0, double MeanReporting = 0,
    LatencySummary? SubmitTime = null, double MeanBatch = 0)
{
    public double TasksPerSecond => WindowSeconds > 0 ? SucceededInWindow / WindowSeconds : 0;

    public double Ideal => Agents / (LatencyMs / 1000.0);
}

/// <summary>A worker killed with SIGKILL while running tasks, and how long the system took to finish them anyway.</summary>
internal sealed record RecoveryResult(int Tasks, int TaskMs, double LeaseTtlSeconds, double KillToFirstRequeueSeconds, double KillToAllSucceededSeconds, int Requeued, int Succeeded);

/// <summary>Scenarios that follow tasks to their end: throughput, DAGs, concurrent agents, recovery.</summary>
internal static class FlowScenarios
{
    /// <summary>The instruction of the 1-second-sleep workload (the Simulated provider's per-call latency directive).</summary>
    public const string Sleep1s = "[[simulate:delay=1000]] Sleep one second.";

    /// <summary>
    /// Submits <paramref name="count"/> tasks as fast as the server takes them, by <paramref name="submit"/>'s
    /// <c>Submitters</c> concurrent clients, through <c>POST /api/v1/tasks/batch</c> (1,000 a request) or one
    /// <c>POST /api/v1/tasks</c> per task, then waits until the watcher saw every one finish: throughput is tasks
    /// succeeded over first submission → last terminal event received. The watcher subscribes to the task states
    /// (<see cref="EventWatcher.TaskStates"/>), as a client that waits for results would, not to every event.
    /// </summary>
    public static async Task<ThroughputResult> ThroughputAsync(LoadTarget target, string workload, int count, Submit submit, TimeSpan timeout, CancellationToken ct)
    {
        var instruction = workload == "sleep-1s" ? Sleep1s + " {0}" : "No-op {0}.";
        // Warm-up, not recorded: as many zero-latency tasks through the same path. The target is fresh, and without it the
        // measured burst would be run by code the JIT has not compiled yet.
        var warm = new TaskTracker();
        await using (var warmWatcher = await EventWatcher.StartAsync(target.BaseAddress, "tasks", warm.OnEvent, ct, EventWatcher.TaskStates))
        {
            warm.Expect(count);
            await SubmitBatchesAsync(target, warm, count, "Warm-up {0}.", ct);
            await WaitAsync(warm.AllFinished, warmWatcher, timeout, ct);
        }
        var tracker = new TaskTracker();
        await using var watcher = await EventWatcher.StartAsync(target.BaseAddress, "tasks", tracker.OnEvent, ct, EventWatcher.TaskStates);
        await using var monitor = ResourceMonitor.Start(target);
        tracker.Expect(count);
        var started = Stopwatch.GetTimestamp();
        await SubmitAsync(target, tracker, count, instruction, submit, ct);
        var submitted = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await WaitAsync(tracker.AllFinished, watcher, timeout, ct);
        var resources = await monitor.StopAsync();
        return new ThroughputResult(workload, submit.ToString(), count, tracker.Succeeded, submitted, TaskTracker.Seconds(started, tracker.LastFinished), resources);
    }

    private static Task SubmitBatchesAsync(LoadTarget target, TaskTracker tracker, int count, string instruction, CancellationToken ct) =>
        SubmitAsync(target, tracker, count, instruction, new Submit(Batched: true, Submitters: 4), ct);

    private static async Task SubmitAsync(LoadTarget target, TaskTracker tracker, int count, string instruction, Submit submit, CancellationToken ct)
    {
        var batch = submit.Batched ? 1_000 : 1;
        var next = -1;
        var batches = (count + batch - 1) / batch;
        await Task.WhenAll(Enumerable.Range(0, Math.Min(submit.Submitters, batches)).Select(_ => Task.Run(async () =>
        {
            int b;
            while ((b = Interlocked.Increment(ref next)) < batches)
            {
                var size = Math.Min(batch, count - (b * batch));
                tracker.Register(submit.Batched
                    ? await HttpScenarios.CreateTasksAsync(target.Http, size, ct, instruction)
                    : [await HttpScenarios.SubmitTaskAsync(target.Http, string.Format(null, instruction, b), ct)]);
            }
        }, ct)));
    }

    private static async Task WaitAsync(Task all, EventWatcher watcher, TimeSpan timeout, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (!all.IsCompleted && clock.Elapsed < timeout && watcher.Failure is null)
        {
            await Task.WhenAny(all, Task.Delay(100, ct));
        }
        if (watcher.Failure is { } failure)
        {
            Console.Error.WriteLine($"The event watcher stopped ({failure}): figures after it are incomplete.");
        }
        else if (!all.IsCompleted)
        {
            Console.Error.WriteLine($"Gave up waiting after {timeout.TotalSeconds:N0} s: not every task finished.");
        }
    }

    /// <summary>A DAG of <paramref name="size"/> tasks: 3 is a chain (each quoting its predecessor's output); any other size
    /// is a fan-out/fan-in (one root, size − 2 parallel tasks quoting the root, one join after all of them).</summary>
    public static (string Shape, string Json) DagBody(int size, int n)
    {
        var tasks = new List<object>();
        string shape;
        if (size <= 3)
        {
            shape = $"chain of {size}";
            for (var i = 0; i < size; i++)
            {
                tasks.Add(i == 0
                    ? new { id = "t0", instruction = $"Start {n}." }
                    : new { id = $"t{i}", instruction = $"Continue from: {{{{tasks.t{i - 1}.output}}}}", depends_on = new[] { $"t{i - 1}" } });
            }
        }
        else
        {
            shape = $"fan-out/fan-in 1 → {size - 2} → 1";
            tasks.Add(new { id = "root", instruction = $"Plan {n}." });
            var middle = Enumerable.Range(1, size - 2).Select(i => $"w{i}").ToArray();
            tasks.AddRange(middle.Select(w => (object)new { id = w, instruction = "Work on: {{tasks.root.output}}", depends_on = new[] { "root" } }));
            tasks.Add(new { id = "join", instruction = "Join: {{tasks.w1.output}}", depends_on = middle });
        }
        return (shape, JsonSerializer.Serialize(new { name = $"load-dag-{size}", tasks }));
    }

    /// <summary>
    /// DAGs submitted at a fixed rate (open model): latency is intended submission → the <c>dag_succeeded</c> event at the
    /// harness. Edge overhead is, for every task with dependencies, its <c>task_started</c> minus the latest
    /// <c>task_succeeded</c> of its dependencies (the store's <c>created_at</c>, millisecond resolution).
    /// </summary>
    public static async Task<DagResult> DagAsync(LoadTarget target, int size, Schedule schedule, Schedule warmup, CancellationToken ct)
    {
        var dags = new ConcurrentDictionary<Guid, TaskCompletionSource<string>>();
        var tracker = new TaskTracker();
        void Seen(SeenEvent e)
        {
            if (e.Type is "dag_succeeded" or "dag_failed" or "dag_cancelled")
            {
                dags.GetOrAdd(e.DagId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(e.Type);
            }
            else
            {
                tracker.OnEvent(e);
            }
        }
        await using var watcher = await EventWatcher.StartAsync(target.BaseAddress, "dags", Seen, ct);
        var edges = new ConcurrentBag<(Guid Task, Guid[] DependsOn)>();
        var measuring = false;
        var (shape, _) = DagBody(size, 0);
        async Task<Outcome> SendAsync(int i, CancellationToken token)
        {
            using var response = await HttpScenarios.PostJsonAsync(target.Http, "api/v1/dags", DagBody(size, i).Json, token);
            if (!response.IsSuccessStatusCode)
            {
                return Outcome.Of(response);
            }
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(token));
            var id = document.RootElement.GetProperty("id").GetGuid();
            var keys = document.RootElement.GetProperty("tasks").EnumerateArray().ToDictionary(t => t.GetProperty("key").GetString()!, t => t.GetProperty("id").GetGuid());
            tracker.Register(keys.Values);
            if (measuring)
            {
                foreach (var t in document.RootElement.GetProperty("tasks").EnumerateArray())
                {
                    if (t.TryGetProperty("depends_on", out var deps) && deps.GetArrayLength() > 0)
                    {
                        edges.Add((t.GetProperty("id").GetGuid(), [.. deps.EnumerateArray().Select(d => keys[d.GetString()!])]));
                    }
                }
            }
            var outcome = await dags.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(token);
            return outcome == "dag_succeeded" ? Outcome.Ok : new Outcome(outcome);
        }
        await OpenLoop.RunAsync(warmup, SendAsync, ct);
        measuring = true;
        await using var monitor = ResourceMonitor.Start(target);
        var run = await OpenLoop.RunAsync(schedule, SendAsync, ct);
        var resources = await monitor.StopAsync();
        var overhead = new Latency();
        foreach (var (task, dependsOn) in edges)
        {
            if (tracker.Times(task) is { } dependent)
            {
                var ends = dependsOn.Select(tracker.Times).Where(t => t is not null).Select(t => t!.Value.Ended).ToList();
                if (ends.Count == dependsOn.Length)
                {
                    overhead.Record(dependent.Started - ends.Max());
                }
            }
        }
        if (watcher.Failure is { } failure)
        {
            Console.Error.WriteLine($"The event watcher stopped ({failure}).");
        }
        return new DagResult(size, shape, run, overhead.Summary(), resources);
    }

    /// <summary>
    /// <paramref name="count"/> tasks whose agent call takes <paramref name="latencyMs"/> (Simulated provider) submitted at
    /// once to a target whose concurrency is at least <paramref name="count"/>: how many ran at the same moment, how long
    /// all took, and each task's run time (started → succeeded) against the call's latency. The harness follows the tasks'
    /// states, and with <paramref name="watchOutput"/> their streamed output too (every <c>output_delta</c>).
    /// </summary>
    public static async Task<AgentsResult> AgentsAsync(LoadTarget target, int count, int latencyMs, bool watchOutput, TimeSpan timeout, CancellationToken ct)
    {
        // Warm-up, not recorded: as many zero-latency tasks through the same path. The target is fresh, and without it the
        // measured burst would be run by code the JIT has not compiled yet.
        var warm = new TaskTracker();
        await using (var warmWatcher = await EventWatcher.StartAsync(target.BaseAddress, "tasks", warm.OnEvent, ct, EventWatcher.TaskStates))
        {
            warm.Expect(count);
            await SubmitBatchesAsync(target, warm, count, "Warm-up {0}.", ct);
            await WaitAsync(warm.AllFinished, warmWatcher, timeout, ct);
        }
        var tracker = new TaskTracker();
        await using var watcher = await EventWatcher.StartAsync(target.BaseAddress, "tasks", tracker.OnEvent, ct, watchOutput ? null : EventWatcher.TaskStates);
        await using var monitor = ResourceMonitor.Start(target);
        tracker.Expect(count);
        var started = Stopwatch.GetTimestamp();
        await SubmitBatchesAsync(target, tracker, count, $"[[simulate:delay={latencyMs}]] Agent {{0}}.", ct);
        var submitted = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await WaitAsync(tracker.AllFinished, watcher, timeout, ct);
        var resources = await monitor.StopAsync();
        return new AgentsResult(count, latencyMs, tracker.MaxRunningAtOnce(), tracker.Succeeded, submitted,
            TaskTracker.Seconds(started, tracker.LastFinished), tracker.RunTimes().Summary(), resources, watchOutput);
    }

    /// <summary>
    /// <paramref name="count"/> agents of <paramref name="latencyMs"/> kept in flight for <paramref name="duration"/>: the
    /// harness submits <paramref name="count"/> at once, then replaces every task that ends (batches of up to 1,000, at most
    /// four requests at a time) until the duration is over, and waits for the rest. Measured over the store's clock, from
    /// two latencies after the first start (the loop has filled and turned over once) to the end of the duration: tasks
    /// succeeded per second and the mean number running at once. Submission, queueing and event delivery all hold a slot,
    /// so every overhead of the system lowers the rate below the ideal of <paramref name="count"/> ÷ latency.
    /// </summary>
    public static async Task<SustainedAgentsResult> SustainedAgentsAsync(LoadTarget target, int count, int latencyMs, TimeSpan duration, bool watchOutput,
        TimeSpan timeout, CancellationToken ct)
    {
        var instruction = $"[[simulate:delay={latencyMs}]] Agent {{0}}.";
        var tracker = new TaskTracker();
        await using var watcher = await EventWatcher.StartAsync(target.BaseAddress, "tasks", tracker.OnEvent, ct, watchOutput ? null : EventWatcher.TaskStates);
        await using var monitor = ResourceMonitor.Start(target);
        var clock = Stopwatch.StartNew();
        var submitted = 0;
        var batches = 0;
        var submitTime = new Latency();
        var requests = new List<Task>();
        var lastSubmit = TimeSpan.Zero;
        while (clock.Elapsed < duration && watcher.Failure is null)
        {
            foreach (var done in requests.Where(r => r.IsCompleted).ToList())
            {
                await done; // a refused batch ends the run with its error
                requests.Remove(done);
            }
            var free = count - (submitted - tracker.Finished);
            // Small batches only once the loop has waited a little: 100 a request at most every 10 ms keeps the deficit
            // under 1 % of 10,000 agents without turning the harness into thousands of tiny requests a second.
            if (requests.Count < 4 && free > 0 && (free >= 100 || clock.Elapsed - lastSubmit > TimeSpan.FromMilliseconds(10)))
            {
                var size = Math.Min(free, 1_000);
                submitted += size;
                lastSubmit = clock.Elapsed;
                batches++;
                requests.Add(Task.Run(async () =>
                {
                    var sent = DateTimeOffset.UtcNow;
                    var ids = await HttpScenarios.CreateTasksAsync(target.Http, size, ct, instruction);
                    submitTime.Record(DateTimeOffset.UtcNow - sent);
                    tracker.Register(ids, sent);
                }, ct));
                continue;
            }
            await Task.Delay(2, ct);
        }
        await Task.WhenAll(requests);
        tracker.Expect(submitted);
        await WaitAsync(tracker.AllFinished, watcher, timeout, ct);
        var resources = await monitor.StopAsync();
        var first = tracker.FirstStarted() ?? DateTimeOffset.UtcNow;
        var from = first + (2 * TimeSpan.FromMilliseconds(latencyMs));
        var to = first + duration;
        var phases = to > from ? tracker.Window(from, to) : default;
        return new SustainedAgentsResult(count, latencyMs, clock.Elapsed.TotalSeconds, Math.Max(0, (to - from).TotalSeconds), submitted, phases.Succeeded,
            phases.Running, tracker.Succeeded, tracker.RunTimes().Summary(), resources, watchOutput, phases.Queued, phases.Reporting,
            submitTime.Summary(), batches > 0 ? (double)submitted / batches : 0);
    }

    /// <summary>
    /// Distributed only: <paramref name="count"/> tasks of <paramref name="taskMs"/> each start on the worker; once it
    /// reports them all running (<c>/health/ready</c>: "N busy") the worker is killed with SIGKILL and a replacement started at once (as a supervisor would). Measures
    /// kill → the first <c>task_requeued</c> (the lease sweeper noticing) and kill → every task succeeded.
    /// </summary>
    public static async Task<RecoveryResult> RecoveryAsync(LoadTarget target, int count, int taskMs, TimeSpan timeout, CancellationToken ct)
    {
        if (target.Worker is null)
        {
            throw new InvalidOperationException("recovery needs --mode distributed with a worker the harness started.");
        }
        var tracker = new TaskTracker();
        await using var watcher = await EventWatcher.StartAsync(target.BaseAddress, "tasks", tracker.OnEvent, ct);
        tracker.Expect(count);
        await SubmitBatchesAsync(target, tracker, count, $"[[simulate:delay={taskMs}]] Recover {{0}}.", ct);
        // task_started is written when the dispatcher claims a task, before a worker has it: wait for the worker to run them.
        var victim = target.Worker;
        var clock = Stopwatch.StartNew();
        while ((await target.WorkerBusyAsync(victim, ct) ?? 0) < count && clock.Elapsed < timeout)
        {
            await Task.Delay(20, ct);
        }
        var killed = Stopwatch.GetTimestamp();
        await victim.KillHardAsync();
        await target.StartWorkerAsync(ct);
        await WaitAsync(tracker.AllFinished, watcher, timeout, ct);
        var ttl = target.ServerSettings.TryGetValue("Apex:Redis:LeaseTtl", out var t) ? TimeSpan.Parse(t, null).TotalSeconds : 30;
        return new RecoveryResult(count, taskMs, ttl,
            tracker.FirstRequeued == 0 ? double.NaN : TaskTracker.Seconds(killed, tracker.FirstRequeued),
            tracker.AllFinished.IsCompleted ? TaskTracker.Seconds(killed, tracker.LastFinished) : double.NaN,
            tracker.Requeued, tracker.Succeeded);
    }
}
