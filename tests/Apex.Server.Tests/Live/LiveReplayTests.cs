using System.Text.Json;
using Apex.Core;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Live;

/// <summary><c>since</c>: replay from the store's event log, then live, across reconnects, on real stored events.</summary>
public sealed class LiveReplayTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Reconnect_WithSinceWhileTasksRun_ReceivesEveryStoredEventExactlyOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = LiveServer.Start();
        var first = await LiveClient.ConnectAsync(server.Ws, ct);
        await first.SubscribeAsync("all", "tasks", ct);
        var resume = (await first.ReceiveUntilAsync("subscribed", ct)).GetProperty("seq").GetInt64();
        var start = resume;

        // Four submitters keep events committing while the client drops and comes back five times, so replays and live
        // events overlap (the duplicates the server must drop) and events commit while nobody listens (the gaps it
        // must fill).
        var ids = new System.Collections.Concurrent.ConcurrentBag<Guid>();
        var submitter = Task.WhenAll(Enumerable.Range(0, 4).Select(s => Task.Run(async () =>
        {
            for (var i = 0; i < 50; i++)
            {
                ids.Add((await server.Client.CreateTaskAsync(TaskRequest($"Reconnect {s}/{i}. [[simulate:delay=20]]"), ct)).Id);
            }
        }, ct)));
        var received = new List<long>();
        var client = first;
        for (var round = 0; round < 5; round++)
        {
            for (var n = 0; n < 40;)
            {
                var message = await client.ReceiveAsync(ct) ?? throw new InvalidOperationException("The server closed the socket.");
                if (Take(message, received, ref resume))
                {
                    n++;
                }
            }
            // Abruptly, mid-stream: whatever was in flight is lost with the socket.
            client.Socket.Abort();
            await client.DisposeAsync();
            client = await LiveClient.ConnectAsync(server.Ws, ct);
            await client.SubscribeAsync("all", "tasks", ct, since: resume);
        }
        await submitter;
        await server.Client.WaitForIdleAsync(Deadline, ct);
        var expected = new HashSet<long>();
        foreach (var id in ids)
        {
            expected.UnionWith((await server.Client.GetTaskEventsAsync(id, ct)).Select(e => e.Seq));
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(Deadline);
        try
        {
            while (!expected.IsSubsetOf(received))
            {
                Take(await client.ReceiveAsync(deadline.Token) ?? throw new InvalidOperationException("The server closed the socket."), received, ref resume);
            }
            // Anything queued behind the last expected event (a duplicate would be) arrives before the pong.
            await client.SendAsync("""{"type":"ping"}""", ct);
            var tail = new List<JsonElement>();
            await client.ReceiveUntilAsync("pong", deadline.Token, tail);
            foreach (var message in tail)
            {
                Take(message, received, ref resume);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Assert.Fail($"Gap: never received seqs {string.Join(", ", expected.Except(received).Order().Take(20))}.");
        }
        await client.DisposeAsync();

        Assert.Equal(received.Count, received.Distinct().Count());
        Assert.Equal(expected.Order(), received.Where(s => s > start).Order());
        Assert.Equal(expected.Count, received.Count);
    }

    [Fact]
    public async Task Subscribe_SinceOverMaxReplayEvents_AnswersReplayTooLargeAndSubscribesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = LiveServer.Start(new Dictionary<string, string?> { ["Apex:WebSocket:MaxReplayEvents"] = "2" });
        var task = await server.Client.CreateTaskAsync(TaskRequest("Three events."), ct);
        await server.Client.WaitForTaskAsync(task.Id, ApexHttp.FinishedTask, Deadline, ct);
        await using var client = await LiveClient.ConnectAsync(server.Ws, ct);

        await client.SubscribeAsync("big", "tasks", ct, since: 0);
        var error = await client.ReceiveUntilAsync("error", ct);
        await client.SubscribeAsync("big", "tasks", ct);
        var again = await client.ReceiveUntilAsync("subscribed", ct);

        Assert.Equal("replay_too_large", error.GetProperty("code").GetString());
        Assert.Equal("big", error.GetProperty("id").GetString());
        Assert.Equal("big", again.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Subscribe_SinceOnTheAgentsChannel_ReplaysThatAgentsTasksThenSaysCaughtUp()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = LiveServer.Start();
        var task = await server.Client.CreateTaskAsync(TaskRequest("Replay me."), ct);
        await server.Client.WaitForTaskAsync(task.Id, ApexHttp.FinishedTask, Deadline, ct);
        var history = await server.Client.GetTaskEventsAsync(task.Id, ct);
        await using var client = await LiveClient.ConnectAsync(server.Ws, ct);

        await client.SubscribeAsync("default", "agents", ct, filter: """{"agent":"default"}""", since: 0);
        await client.SubscribeAsync("other", "agents", ct, filter: """{"agent":"someone-else"}""", since: 0);
        // The two replays run side by side: their acknowledgements come in either order.
        var replayed = new List<JsonElement>();
        var acks = new[] { await client.ReceiveUntilAsync("subscribed", ct, replayed), await client.ReceiveUntilAsync("subscribed", ct, replayed) };
        var subscribed = acks.Single(a => a.GetProperty("id").GetString() == "default");
        var other = acks.Single(a => a.GetProperty("id").GetString() == "other");

        Assert.Equal(history.Count, subscribed.GetProperty("replayed").GetInt32());
        Assert.Equal(history[^1].Seq, subscribed.GetProperty("seq").GetInt64());
        Assert.Equal(0, other.GetProperty("replayed").GetInt32());
        Assert.Equal(history.Select(h => h.Seq), replayed.Select(e => e.GetProperty("seq").GetInt64()));
        Assert.All(replayed, e => Assert.Equal("default", e.GetProperty("subscription").GetString()));
    }

    [Fact]
    public async Task Subscribe_Since_LiveEchoOfAReplayedEventIsDroppedAndNewerEventsFlow()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = LiveServer.Start();
        var task = await server.Client.CreateTaskAsync(TaskRequest("Echo me."), ct);
        await server.Client.WaitForTaskAsync(task.Id, ApexHttp.FinishedTask, Deadline, ct);
        var stored = await server.Services.GetRequiredService<IApexStore>().GetEventsAsync(Tenancy.DefaultTenant, EventTypes.Task, task.Id, 0, 100, ct);
        await using var client = await LiveClient.ConnectAsync(server.Ws, ct);
        await client.SubscribeAsync("all", "tasks", ct, since: 0);
        var replayed = new List<JsonElement>();
        var subscribed = await client.ReceiveUntilAsync("subscribed", ct, replayed);

        // What a bus delivers late (a Redis echo, a publication racing the replay's read): events the replay already sent.
        var newer = stored[^1] with { Seq = stored[^1].Seq + 1, Version = stored[^1].Version + 1, EventType = EventTypes.TaskResultIgnored };
        server.Services.GetRequiredService<IEventBus>().Publish([.. stored, newer]);
        var live = await client.ReceiveUntilAsync("event", ct);

        Assert.Equal(stored.Select(e => e.Seq), replayed.Select(e => e.GetProperty("seq").GetInt64()));
        Assert.Equal(stored[^1].Seq, subscribed.GetProperty("seq").GetInt64());
        Assert.Equal(newer.Seq, live.GetProperty("seq").GetInt64());
    }

    /// <summary>Records a stored event's seq and advances the resume point; false for anything else.</summary>
    private static bool Take(JsonElement message, List<long> received, ref long resume)
    {
        var type = message.GetProperty("type").GetString();
        if (type == "subscribed")
        {
            resume = Math.Max(resume, message.GetProperty("seq").GetInt64());
            return false;
        }
        if (type != "event" || message.GetProperty("seq").GetInt64() is var seq && seq == 0)
        {
            return false;
        }
        received.Add(seq);
        resume = Math.Max(resume, seq);
        return true;
    }
}
