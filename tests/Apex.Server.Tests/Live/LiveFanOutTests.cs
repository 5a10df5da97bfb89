using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Apex.Contracts.Tasks;
using Apex.Core;
using Apex.Core.Events;
using Apex.Server.Live;
using Xunit;

namespace Apex.Server.Tests.Live;

/// <summary>
/// The issue's acceptance run: 100 healthy subscribers and 5 that stop reading, 20,000 events through the real bus.
/// Asserts what must hold (every healthy client gets every event once and in order; the stuck ones are closed; memory
/// is returned) and the issue's bounds (healthy p99 &lt; 250 ms, growth &lt; 50 MB), which are generous acceptance
/// bounds, not performance figures (those are in docs/performance.md). Alone: the managed heap is the process's, so
/// servers of tests running beside it would count as this server's growth.
/// </summary>
[Collection(Name)]
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LiveFanOutTests
{
    private const string Name = "LiveFanOut";

    private const int Healthy = 100;
    private const int Stuck = 5;
    private const int Events = 20_000;
    private const int Batch = 20;

    // The publisher stays at most this many batches ahead of the slowest healthy client: a closed loop, so the healthy
    // clients are never overrun on a slow box and their latency measures the fan-out, not a backlog the test built.
    private const int BatchesAhead = 1;

    private const long FirstSeq = 1_000_000;

    [Fact]
    public async Task Publish_TwentyThousandEventsToHundredHealthyAndFiveStuckClients_HealthyGetAllStuckAreClosed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = LiveServer.Start(new Dictionary<string, string?>
        {
            ["Apex:WebSocket:SendQueueCapacity"] = "256",
            ["Apex:WebSocket:CloseTimeout"] = "00:00:01",
            ["Logging:LogLevel:Apex.Server.Live"] = "Warning",
        });
        var bus = server.Get<IEventBus>();
        var connections = server.Get<LiveConnections>();

        var healthy = new List<LiveClient>();
        var stuck = new List<LiveClient>();
        for (var i = 0; i < Healthy + Stuck; i++)
        {
            var client = i < Healthy
                ? await LiveClient.ConnectAsync(server.Ws, ct)
                : await LiveClient.ConnectAsync(server.Ws, ct, receiveBufferBytes: 4096);
            await client.SubscribeAsync("all", "tasks", ct);
            await client.ReceiveUntilAsync("subscribed", ct);
            (i < Healthy ? healthy : stuck).Add(client);
        }
        var progress = new Progress(Events / Batch, Healthy);
        var latency = new LatencyHistogram();
        var readers = healthy.Select(c => Task.Run(() => ReadAllAsync(c, progress, latency, ct), ct)).ToArray();
        var tasks = Enumerable.Range(0, 50).Select(_ => Guid.CreateVersion7()).ToArray();
        var padding = new string('p', 512);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0;
        var seq = FirstSeq;
        for (var batch = 0; batch < Events / Batch; batch++)
        {
            if (batch >= BatchesAhead)
            {
                await progress.WaitAsync(batch - BatchesAhead).WaitAsync(TimeSpan.FromMinutes(2), ct);
            }
            var events = new StoredEvent[Batch];
            for (var i = 0; i < Batch; i++)
            {
                seq++;
                var task = tasks[seq % tasks.Length];
                events[i] = seq - FirstSeq <= tasks.Length ? Created(seq, task) : Progressed(seq, task, padding);
            }
            bus.Publish(events);
            peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false));
        }
        var results = await Task.WhenAll(readers).WaitAsync(TimeSpan.FromMinutes(2), ct);
        var stuckClosed = await WaitAsync(() => connections.ClosedSlow >= Stuck, ct);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var growth = GC.GetTotalMemory(forceFullCollection: true) - baseline;
        var stuckEnds = new List<string?>();
        foreach (var client in stuck)
        {
            stuckEnds.Add((await client.ReceiveCloseAsync(ct)).Reason);
            await client.DisposeAsync();
        }
        foreach (var client in healthy)
        {
            await client.DisposeAsync();
        }

        var p99 = latency.Percentile(99);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"healthy p50 {latency.Percentile(50):N1} ms, p99 {p99:N1} ms, max {latency.Max:N1} ms over {latency.Count:N0} deliveries; "
            + $"managed heap growth {growth / 1e6:N1} MB after the run (peak {(peak - baseline) / 1e6:N1} MB above baseline, garbage included); stuck: {string.Join(", ", stuckEnds)}");
        Assert.All(results, r => Assert.Equal(string.Empty, r));
        Assert.Equal((long)Healthy * Events, latency.Count);
        Assert.True(stuckClosed, $"{connections.ClosedSlow} of {Stuck} stuck clients closed as slow");
        Assert.All(stuckEnds, reason => Assert.Contains(reason, new[] { LiveConnection.SendQueueFull, "aborted" }));
        Assert.True(p99 < 250, $"healthy p99 {p99:N1} ms");
        Assert.True(growth < 50_000_000, $"managed heap grew {growth / 1e6:N1} MB");
    }

    /// <summary>Reads one healthy client to the last event; returns "" when it got every seq once and in order, else what went wrong.</summary>
    private static async Task<string> ReadAllAsync(LiveClient client, Progress progress, LatencyHistogram latency, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        var expected = FirstSeq + 1;
        while (expected <= FirstSeq + Events)
        {
            var length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await client.Socket.ReceiveAsync(buffer.AsMemory(length), ct);
                length += result.Count;
            }
            while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return $"closed at seq {expected}: {client.Socket.CloseStatusDescription}";
            }
            var received = DateTimeOffset.UtcNow;
            var (seq, createdAt) = Read(buffer.AsSpan(0, length));
            if (seq != expected)
            {
                return $"expected seq {expected}, got {seq}";
            }
            latency.Add((received - createdAt).TotalMilliseconds);
            if ((seq - FirstSeq) % Batch == 0)
            {
                progress.Done((int)((seq - FirstSeq) / Batch) - 1);
            }
            expected++;
        }
        return string.Empty;
    }

    private static (long Seq, DateTimeOffset CreatedAt) Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        long seq = -1;
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1)
            {
                continue;
            }
            if (reader.ValueTextEquals("seq"u8))
            {
                reader.Read();
                seq = reader.GetInt64();
            }
            else if (reader.ValueTextEquals("created_at"u8))
            {
                reader.Read();
                return (seq, reader.GetDateTimeOffset());
            }
        }
        throw new InvalidOperationException($"No seq or created_at in {Encoding.UTF8.GetString(json)}");
    }

    private static StoredEvent Created(long seq, Guid task) => Event(seq, task, 1, EventTypes.TaskCreated, JsonSerializer.Serialize(new TaskCreatedData
    {
        Name = "fan-out",
        Instruction = "Fan out.",
        Agent = "fan-out-agent",
        Status = TaskState.Queued,
        Limits = new TaskLimits(),
    }, CoreJsonContext.Default.TaskCreatedData));

    private static StoredEvent Progressed(long seq, Guid task, string padding) =>
        Event(seq, task, (int)(seq - FirstSeq), EventTypes.TaskStarted, $$"""{"attempt":1,"worker":"fan-out","padding":"{{padding}}"}""");

    private static StoredEvent Event(long seq, Guid task, int version, string type, string data) =>
        Published.Event(seq, EventTypes.Task, task, version, type, data);

    private static async Task<bool> WaitAsync(Func<bool> condition, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTimeOffset.UtcNow > deadline || !await timer.WaitForNextTickAsync(ct))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Per batch, how many healthy clients have received all of it; completes a batch's task when all have.</summary>
    private sealed class Progress(int batches, int clients)
    {
        private readonly int[] _counts = new int[batches];
        private readonly TaskCompletionSource[] _done = [.. Enumerable.Range(0, batches).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))];

        public void Done(int batch)
        {
            if (Interlocked.Increment(ref _counts[batch]) == clients)
            {
                _done[batch].TrySetResult();
            }
        }

        public Task WaitAsync(int batch) => _done[batch].Task;
    }

    /// <summary>Delivery latencies in 0.1 ms buckets up to 10 s (a 2-million-sample list would weigh on the memory figure).</summary>
    private sealed class LatencyHistogram
    {
        private const int Buckets = 100_000;
        private readonly long[] _counts = new long[Buckets + 1];
        private long _count;
        private long _maxTenths;

        public long Count => Interlocked.Read(ref _count);

        public double Max => Interlocked.Read(ref _maxTenths) / 10.0;

        public void Add(double milliseconds)
        {
            var tenths = (long)Math.Max(0, milliseconds * 10);
            Interlocked.Increment(ref _counts[Math.Min(tenths, Buckets)]);
            Interlocked.Increment(ref _count);
            var max = Interlocked.Read(ref _maxTenths);
            while (tenths > max && Interlocked.CompareExchange(ref _maxTenths, tenths, max) != max)
            {
                max = Interlocked.Read(ref _maxTenths);
            }
        }

        public double Percentile(double p)
        {
            var rank = (long)Math.Ceiling(Count * p / 100);
            long seen = 0;
            for (var i = 0; i <= Buckets; i++)
            {
                seen += _counts[i];
                if (seen >= rank)
                {
                    return (i + 1) / 10.0;
                }
            }
            return double.PositiveInfinity;
        }
    }
}
