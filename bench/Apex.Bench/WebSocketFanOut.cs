using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Apex.Bench.Load;

namespace Apex.Bench;

/// <summary>
/// Live-event delivery to many WebSocket clients: C clients subscribe to every task event (<c>/api/v1/ws</c>, channel
/// <c>tasks</c>) while real tasks are submitted over HTTP at a fixed rate and run by the server's in-process workers.
/// For each stored event each client receives, reports commit → delivery latency (the event's <c>created_at</c>, which
/// the store stamps when the group commit begins, so it includes the commit itself and rounds down to the millisecond,
/// against the client's receive time on the same clock) and the fan-out spread (first client to receive it → each
/// client). Starts the built Apex.Server (embedded, SQLite) on a free loopback port unless <c>--url</c> names one.
/// Bounded by the task count and <c>--timeout</c>.
/// </summary>
internal static class WebSocketFanOut
{
    public static Command Command()
    {
        var url = new Option<string?>("--url") { Description = "Base address of a running Apex server (loopback only); default: start one." };
        var clients = new Option<int>("--clients") { DefaultValueFactory = _ => 1_000, Description = "WebSocket clients, each subscribed to every task event." };
        var tasks = new Option<int>("--tasks") { DefaultValueFactory = _ => 400, Description = "Tasks measured." };
        var warmup = new Option<int>("--warmup") { DefaultValueFactory = _ => 100, Description = "Tasks run first and not measured." };
        var rate = new Option<int>("--rate") { DefaultValueFactory = _ => 20, Description = "Tasks submitted per second." };
        var timeout = new Option<int>("--timeout") { DefaultValueFactory = _ => 180, Description = "Seconds the run may take before the bench gives up." };
        var synchronous = new Option<string>("--synchronous") { DefaultValueFactory = _ => "FULL", Description = "SQLite synchronous pragma of the server it starts." };
        var command = new Command("ws", "WebSocket fan-out: commit → client delivery latency with many subscribers.") { url, clients, tasks, warmup, rate, timeout, synchronous };
        command.SetAction(async (parse, ct) => await RunAsync(parse.GetValue(url), new Load(parse.GetValue(clients), parse.GetValue(tasks), parse.GetValue(warmup),
            parse.GetValue(rate), parse.GetValue(synchronous)!), TimeSpan.FromSeconds(parse.GetValue(timeout)), ct));
        return command;
    }

    /// <summary>The same measurement against a running server (the load harness's <c>ws-delivery</c> scenario); prints its table.</summary>
    internal static Task<int> RunAgainstAsync(string url, int clients, int tasks, int warmup, int rate, TimeSpan timeout, CancellationToken ct) =>
        RunAsync(url, new Load(clients, tasks, warmup, rate, "FULL"), timeout, ct);

    private static async Task<int> RunAsync(string? url, Load load, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (clients, tasks, warmup, rate, synchronous) = load;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var ct = deadline.Token;
        await using var server = url is null ? await ApexProcess.StartServerAsync([new("Apex:Sqlite:Synchronous", synchronous)], ct) : null;
        var baseAddress = new Uri(url ?? server!.Url);
        if (!baseAddress.IsLoopback)
        {
            Console.Error.WriteLine("The ws bench only targets loopback addresses.");
            return 2;
        }
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var ws = new Uri($"ws://{baseAddress.Authority}/api/v1/ws");

        var connectStarted = Stopwatch.GetTimestamp();
        var sockets = new ClientWebSocket[clients];
        using (var gate = new SemaphoreSlim(64))
        {
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async i =>
            {
                await gate.WaitAsync(ct);
                try
                {
                    sockets[i] = await SubscribeAsync(ws, ct);
                }
                finally
                {
                    gate.Release();
                }
            }));
        }
        var connectSeconds = Stopwatch.GetElapsedTime(connectStarted).TotalSeconds;

        var run = new Run(clients);
        var readers = sockets.Select((s, i) => Task.Run(() => ReadAsync(s, i, run, ct), ct)).ToArray();
        try
        {
            run.Expect(warmup);
            await SubmitAsync(http, warmup, rate, ct);
            await run.WaitForSucceededAsync(warmup, ct);
            run.Measure();
            run.Expect(warmup + tasks);
            var started = Stopwatch.GetTimestamp();
            await SubmitAsync(http, tasks, rate, ct);
            await run.WaitForSucceededAsync(warmup + tasks, ct);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            Report(load, url is null ? $"embedded server started by the bench (SQLite synchronous={synchronous})" : $"server at {url}", connectSeconds, seconds, run);
            return 0;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Console.Error.WriteLine($"Gave up after {timeout}: the slowest client saw {run.SlowestSucceeded} of {warmup + tasks} tasks succeed.");
            return 1;
        }
        finally
        {
            await deadline.CancelAsync();
            foreach (var socket in sockets)
            {
                socket.Abort();
                socket.Dispose();
            }
            await Task.WhenAll(readers.Select(r => r.ContinueWith(_ => { }, TaskScheduler.Default)));
        }
    }

    /// <summary>Connects and subscribes to every event of <paramref name="channel"/>; returns once the server said <c>subscribed</c>.</summary>
    internal static async Task<ClientWebSocket> SubscribeAsync(Uri ws, CancellationToken ct, string channel = "tasks", IReadOnlyList<string>? eventTypes = null)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(ws, ct);
        var filter = eventTypes is null ? "" : $$""","filter":{"event_types":{{JsonSerializer.Serialize(eventTypes)}}}""";
        await socket.SendAsync(Encoding.UTF8.GetBytes($$"""{"type":"subscribe","id":"all","channel":"{{channel}}"{{filter}}}"""), WebSocketMessageType.Text, endOfMessage: true, ct);
        var buffer = new byte[4096];
        var result = await socket.ReceiveAsync(buffer, ct);
        if (!Encoding.UTF8.GetString(buffer, 0, result.Count).Contains("\"subscribed\"", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Unexpected answer to subscribe: {Encoding.UTF8.GetString(buffer, 0, result.Count)}");
        }
        return socket;
    }

    /// <summary>Submits <paramref name="count"/> tasks at <paramref name="rate"/> per second (in ticks of 50 ms).</summary>
    private static async Task SubmitAsync(HttpClient http, int count, int rate, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        var started = Stopwatch.GetTimestamp();
        var submitted = 0;
        var pending = new List<Task>();
        while (submitted < count && await timer.WaitForNextTickAsync(ct))
        {
            var due = Math.Min(count, (int)(Stopwatch.GetElapsedTime(started).TotalSeconds * rate) + 1);
            for (; submitted < due; submitted++)
            {
                pending.Add(PostAsync(http, submitted, ct));
            }
        }
        await Task.WhenAll(pending);
    }

    private static async Task PostAsync(HttpClient http, int n, CancellationToken ct)
    {
        using var body = new StringContent($$"""{"name":"ws-bench","instruction":"Fan-out {{n}}."}""", Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/api/v1/tasks", body, ct);
        response.EnsureSuccessStatusCode();
    }

    private static async Task ReadAsync(ClientWebSocket socket, int client, Run run, CancellationToken ct)
    {
        var buffer = new byte[256 * 1024];
        while (true)
        {
            (buffer, var length) = await EventWatcher.ReceiveMessageAsync(socket, buffer, ct);
            if (length < 0)
            {
                throw new InvalidOperationException($"The server closed a client: {socket.CloseStatus} {socket.CloseStatusDescription}");
            }
            var now = Stopwatch.GetTimestamp();
            var wall = DateTimeOffset.UtcNow;
            if (EventWatcher.Parse(buffer.AsSpan(0, length), now) is not { } e)
            {
                continue; // Live-only events (output deltas): not committed, no commit time to measure from.
            }
            run.Delivered(e.Seq, e.CreatedAt, wall, now);
            if (e.Type == "task_succeeded")
            {
                run.Succeeded(client);
            }
        }
    }

    private static void Report(Load load, string server, double connectSeconds, double seconds, Run run)
    {
        var (clients, tasks, warmup, rate, _) = load;
        var latency = run.Latencies.Order().ToList();
        var spread = run.Spreads.Order().ToList();
        var first = run.FirstLatencies.Order().ToList();
        Console.WriteLine($"Machine: {Machine.Describe()}");
        Console.WriteLine($"WebSocket fan-out: {clients} clients on channel tasks (no filter), {tasks} tasks at {rate}/s (after {warmup} warm-up), {server}, zero-latency Simulated agent:");
        Console.WriteLine();
        Console.WriteLine("| Metric | Value |");
        Console.WriteLine("|---|---|");
        Console.WriteLine($"| Clients connected and subscribed | {clients:N0} in {connectSeconds:N1} s |");
        Console.WriteLine($"| Stored events delivered (measured) | {latency.Count:N0} in {seconds:N1} s ({latency.Count / seconds:N0}/s) |");
        Console.WriteLine($"| Commit (created_at) → client p50 / p95 / p99 / max | {P(latency, 50):N2} / {P(latency, 95):N2} / {P(latency, 99):N2} / {P(latency, 100):N2} ms |");
        Console.WriteLine($"| Commit (created_at) → first client p50 / p99 | {P(first, 50):N2} / {P(first, 99):N2} ms |");
        Console.WriteLine($"| Fan-out spread (first client → each client) p50 / p99 | {P(spread, 50):N2} / {P(spread, 99):N2} ms |");
    }

    private static double P(List<double> sorted, double p) => Machine.Percentile(sorted, p);

    private sealed record Load(int Clients, int Tasks, int Warmup, int Rate, string Synchronous);

    /// <summary>The measurements every client adds to, and the wait for every client to have seen N tasks succeed.</summary>
    private sealed class Run(int clients)
    {
        private readonly ConcurrentDictionary<long, long> _firstSeen = new();
        private readonly int[] _succeeded = new int[clients];
        private volatile bool _measuring;
        private int _target = int.MaxValue;
        private int _reached;
        private TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentBag<double> Latencies { get; } = [];

        public ConcurrentBag<double> Spreads { get; } = [];

        /// <summary>Per event, commit → the first client to receive it: the commit itself plus one hop.</summary>
        public ConcurrentBag<double> FirstLatencies { get; } = [];

        public int SlowestSucceeded => _succeeded.Min();

        public void Measure() => _measuring = true;

        public void Delivered(long seq, DateTimeOffset createdAt, DateTimeOffset wall, long timestamp)
        {
            var first = _firstSeen.GetOrAdd(seq, timestamp);
            if (_measuring)
            {
                if (first == timestamp)
                {
                    FirstLatencies.Add((wall - createdAt).TotalMilliseconds);
                }
                Latencies.Add((wall - createdAt).TotalMilliseconds);
                Spreads.Add(Stopwatch.GetElapsedTime(first, timestamp).TotalMilliseconds);
            }
        }

        /// <summary>Client <paramref name="client"/> saw one more task succeed.</summary>
        public void Succeeded(int client)
        {
            if (Interlocked.Increment(ref _succeeded[client]) == Volatile.Read(ref _target) && Interlocked.Increment(ref _reached) == clients)
            {
                _done.TrySetResult();
            }
        }

        /// <summary>Waits until every client saw <paramref name="count"/> tasks succeed (set before those tasks are submitted).</summary>
        public Task WaitForSucceededAsync(int count, CancellationToken ct)
        {
            if (Volatile.Read(ref _target) != count)
            {
                Expect(count);
            }
            return _done.Task.WaitAsync(ct);
        }

        public void Expect(int count)
        {
            _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _reached = _succeeded.Count(c => c >= count);
            Volatile.Write(ref _target, count);
            if (_reached >= clients)
            {
                _done.TrySetResult();
            }
        }
    }
}
