using System.Text.Json;
using Apex.Core.Events;
using Apex.Redis.Events;
using Xunit;

namespace Apex.Redis.Tests.Events;

public sealed class RedisEventBusTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => RedisTestContext.Token;

    [Fact]
    public async Task Publish_OnOneServer_ReachesEverySubscriberOnBothServersExactlyOnce()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        await using var serverA = ctx.NewEventBus(await ctx.ConnectOtherAsync());
        await using var serverB = ctx.NewEventBus(await ctx.ConnectOtherAsync());
        using var a1 = serverA.Subscribe(_ => true);
        using var a2 = serverA.Subscribe(_ => true);
        using var b1 = serverB.Subscribe(_ => true);
        await Task.WhenAll(serverA.StartAsync(Ct), serverB.StartAsync(Ct));
        StoredEvent e1 = Event(1), e2 = Event(2), e3 = Event(3);

        // Each step waits until the other server heard the previous event: Redis has then already sent that event's
        // echo back to its publisher, so an echo that was not dropped would be read before the next event.
        serverA.Publish([e1]);
        Assert.Equal([e1], await ReadUntilAsync(b1, e1));
        serverB.Publish([e2]);
        Assert.Equal([e1, e2], await ReadUntilAsync(a1, e2));
        Assert.Equal([e1, e2], await ReadUntilAsync(a2, e2));
        serverA.Publish([e3]);
        Assert.Equal([e2, e3], await ReadUntilAsync(b1, e3));
        Assert.Equal([e3], await ReadUntilAsync(a1, e3));
    }

    [Fact]
    public async Task Publish_RemoteEvents_RespectFiltersAndArriveInOrder()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        await using var serverA = ctx.NewEventBus(await ctx.ConnectOtherAsync());
        await using var serverB = ctx.NewEventBus(await ctx.ConnectOtherAsync());
        var batch = Enumerable.Range(1, 50).Select(i => Event(i)).ToList();
        using var even = serverB.Subscribe(e => e.Seq % 2 == 0);
        await serverB.StartAsync(Ct);

        serverA.Publish(batch);

        Assert.Equal(batch.Where(e => e.Seq % 2 == 0), await ReadUntilAsync(even, batch[^1]));
    }

    [Fact]
    public async Task Publish_ToASlowRemoteSubscriber_CutsItOffAndSparesTheOthers()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        await using var serverA = ctx.NewEventBus(await ctx.ConnectOtherAsync());
        await using var serverB = ctx.NewEventBus(await ctx.ConnectOtherAsync());
        using var slow = serverB.Subscribe(_ => true, capacity: 2);
        using var healthy = serverB.Subscribe(_ => true);
        await serverB.StartAsync(Ct);
        var batch = Enumerable.Range(1, 5).Select(i => Event(i)).ToList();

        serverA.Publish(batch);

        Assert.Equal(batch, await ReadUntilAsync(healthy, batch[^1]));
        Assert.True(slow.Overflowed);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(Deadline);
        var kept = new List<StoredEvent>();
        await Assert.ThrowsAsync<EventSubscriptionOverflowException>(async () =>
        {
            await foreach (var e in slow.Reader.ReadAllAsync(timeout.Token))
            {
                kept.Add(e);
            }
        });
        Assert.Equal(batch[..2], kept);
    }

    [Fact]
    public async Task Publish_LiveEventsOneAtATime_TravelTogetherAndBeforeTheNextStoredOne()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        await using var worker = ctx.NewEventBus(await ctx.ConnectOtherAsync());
        await using var server = ctx.NewEventBus(await ctx.ConnectOtherAsync());
        using var subscription = server.Subscribe(_ => true);
        await server.StartAsync(Ct);
        var messages = 0;
        var raw = await (await ctx.ConnectOtherAsync()).GetSubscriber().SubscribeAsync(new RedisKeys(ctx.Prefix).Events);
        raw.OnMessage(_ => Interlocked.Increment(ref messages));
        var deltas = Enumerable.Range(1, 100).Select(Delta).ToList();
        var succeeded = Event(1);

        // As a streaming agent does: one delta per publish, then the task's stored event.
        foreach (var delta in deltas)
        {
            worker.Publish([delta]);
        }
        worker.Publish([succeeded]);

        Assert.Equal([.. deltas, succeeded], await ReadUntilAsync(subscription, succeeded));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Volatile.Read(ref messages) == 0 && clock.Elapsed < Deadline)
        {
            await Task.Delay(10, Ct);
        }
        await Task.Delay(200, Ct); // any message still on its way
        Assert.InRange(Volatile.Read(ref messages), 1, 3); // 101 messages, one per publish, before they travelled together
    }

    [Fact]
    public async Task Flush_LiveEventsHeldBack_SendsThemAtOnce()
    {
        // Held back far longer than the read's deadline: only Flush can deliver them in time.
        await using var ctx = await RedisTestContext.CreateAsync(o => o.LiveEventDelay = TimeSpan.FromSeconds(1) * 30);
        await using var worker = ctx.NewEventBus(await ctx.ConnectOtherAsync());
        await using var server = ctx.NewEventBus(await ctx.ConnectOtherAsync());
        using var subscription = server.Subscribe(_ => true);
        await server.StartAsync(Ct);
        var deltas = Enumerable.Range(1, 3).Select(Delta).ToList();

        foreach (var delta in deltas)
        {
            worker.Publish([delta]);
        }
        worker.Flush();

        Assert.Equal(deltas, await ReadUntilAsync(subscription, deltas[^1]));
    }

    [Fact]
    public async Task Subscribe_OnceListening_HearsTheNextRemoteEventWithoutStartingTheBus()
    {
        // A server's first subscriber (a WebSocket, an SSE stream) reads the store once Listening completes, then relies
        // on the channel for everything committed later: the first event another server publishes must arrive.
        for (var round = 0; round < 5; round++)
        {
            await using var ctx = await RedisTestContext.CreateAsync();
            await using var serverA = ctx.NewEventBus(await ctx.ConnectOtherAsync());
            await using var serverB = ctx.NewEventBus(await ctx.ConnectOtherAsync());
            using var subscription = serverB.Subscribe(_ => true);

            await subscription.Listening.WaitAsync(Deadline, Ct);
            var first = Event(round + 1);
            serverA.Publish([first]);

            Assert.Equal([first], await ReadUntilAsync(subscription, first));
            using var later = serverB.Subscribe(_ => true);
            Assert.True(later.Listening.IsCompletedSuccessfully); // later subscribers wait for nothing
        }
    }

    [Fact]
    public async Task Receive_LiveOnlyMessage_NoSubscriberTakesLive_IsNotDelivered()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        await using var worker = ctx.NewEventBus(await ctx.ConnectOtherAsync());
        await using var server = ctx.NewEventBus(await ctx.ConnectOtherAsync());
        using var states = server.Subscribe(_ => true); // its filter would take anything
        states.TakesLive = static () => false;          // but it follows task states only
        await server.StartAsync(Ct);
        var succeeded = Event(1);

        worker.Publish([Delta(1)]);
        worker.Publish([Delta(2)]);
        worker.Flush(); // the deltas leave in a message of their own
        worker.Publish([succeeded]);

        Assert.Equal([succeeded], await ReadUntilAsync(states, succeeded));
    }

    [Fact]
    public async Task Receive_LiveOnlyMessage_ASubscriberTakesLive_IsDeliveredToEveryMatchingOne()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        await using var worker = ctx.NewEventBus(await ctx.ConnectOtherAsync());
        await using var server = ctx.NewEventBus(await ctx.ConnectOtherAsync());
        using var watcher = server.Subscribe(_ => true);
        using var states = server.Subscribe(_ => true);
        states.TakesLive = static () => false; // an optimization for the bus, not a filter: the message is decoded anyway
        await server.StartAsync(Ct);
        var deltas = new[] { Delta(1), Delta(2) };
        var succeeded = Event(1);

        worker.Publish([deltas[0]]);
        worker.Publish([deltas[1]]);
        worker.Flush();
        worker.Publish([succeeded]);

        Assert.Equal([.. deltas, succeeded], await ReadUntilAsync(watcher, succeeded));
        Assert.Equal([.. deltas, succeeded], await ReadUntilAsync(states, succeeded));
    }

    [Fact]
    public async Task Receive_MessageWithoutTheLiveField_IsDecodedAsBefore()
    {
        // A publisher that predates the field (an older worker during a rolling upgrade) sends no "live".
        await using var ctx = await RedisTestContext.CreateAsync();
        await using var server = ctx.NewEventBus(await ctx.ConnectOtherAsync());
        using var states = server.Subscribe(_ => true);
        states.TakesLive = static () => false;
        await server.StartAsync(Ct);
        var delta = Delta(1);
        var old = JsonSerializer.Serialize(new EventBatch("an-older-publisher", [EventEnvelope.From(delta)]), RedisJsonContext.Default.EventBatch)
            .Replace("\"live\":false,", "", StringComparison.Ordinal);
        Assert.DoesNotContain("live", old, StringComparison.Ordinal);

        await (await ctx.ConnectOtherAsync()).GetSubscriber().PublishAsync(new RedisKeys(ctx.Prefix).Events, old);

        Assert.Equal([delta], await ReadUntilAsync(states, delta));
    }

    [Theory]
    [InlineData("""{"origin":"a","live":true,"events":[]}""", true)]
    [InlineData("""{"origin":"a","live":false,"events":[]}""", false)]
    [InlineData("""{"origin":"a","events":[],"live":true}""", false)] // only where the bus writes it counts
    [InlineData("""{"origin":"a","events":[]}""", false)]
    [InlineData("""{"origin":""", false)]
    [InlineData("not json", false)]
    public void IsLiveOnly_ReadsTheFirstTwoProperties(string payload, bool expected) =>
        Assert.Equal(expected, EventBatch.IsLiveOnly(System.Text.Encoding.UTF8.GetBytes(payload)));

    [Fact]
    public async Task Publish_WithoutAnySubscriber_NeverThrows()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        await using var bus = ctx.NewEventBus(ctx.Redis);

        bus.Publish([Event(1)]);
        bus.Publish([]);

        Assert.Equal(0, bus.SubscriberCount);
    }

    private static StoredEvent Event(long seq) => new()
    {
        Seq = seq,
        TenantId = "default",
        AggregateType = "task",
        AggregateId = Guid.NewGuid(),
        DagId = seq % 2 == 0 ? Guid.NewGuid() : null,
        Version = (int)seq,
        EventType = "task_succeeded",
        Data = """{"output":"naïve ☃ \"quoted\""}""",
        CreatedAt = DateTimeOffset.UnixEpoch.AddMilliseconds(1_790_000_000_000 + seq),
    };

    private static StoredEvent Delta(int n) => new()
    {
        Seq = 0,
        TenantId = "default",
        AggregateType = "task",
        AggregateId = Guid.Empty,
        Version = 0,
        EventType = EventTypes.OutputDelta,
        Data = $$"""{"attempt":1,"text":"piece {{n}} "}""",
        CreatedAt = DateTimeOffset.UnixEpoch.AddMilliseconds(1_790_000_000_000 + n),
    };

    /// <summary>Reads events until <paramref name="last"/> (inclusive) arrives, within the deadline.</summary>
    private static async Task<List<StoredEvent>> ReadUntilAsync(EventSubscription subscription, StoredEvent last)
    {
        var read = new List<StoredEvent>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(Deadline);
        while (read.Count == 0 || read[^1] != last)
        {
            read.Add(await subscription.Reader.ReadAsync(timeout.Token));
        }
        return read;
    }
}
