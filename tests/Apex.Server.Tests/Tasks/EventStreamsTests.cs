using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Server.Tests.Conformance;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Tasks;

/// <summary>The SSE streams of tasks and DAGs, on each backend (see <see cref="ApexBackend"/>).</summary>
public abstract class EventStreamsTests(ApexBackend backend)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task StreamTask_RunningTask_YieldsItsEventsLiveEndingWithSucceeded()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var task = await client.CreateTaskAsync(TaskRequest("Stream me. [[simulate:delay=1000]]"), ct);
        await server.WaitForRunningAsync(task.Id, Deadline, ct);

        var all = await ReadStreamAsync(client, $"/api/v1/tasks/{task.Id}/stream", lastEventId: null, ct, withLive: true);

        // Live-only output deltas (no id) come between the stored events; they have their own test.
        var items = all.Where(i => i.EventId is not null).ToList();
        Assert.All(all.Where(i => i.EventId is null), i => Assert.Equal(EventTypes.OutputDelta, i.EventType));
        Assert.Equal([EventTypes.TaskCreated, EventTypes.TaskStarted, EventTypes.TaskSucceeded], items.Select(i => i.EventType));
        var seqs = items.Select(i => long.Parse(i.EventId!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(seqs.Order(), seqs);
        Assert.Equal(seqs.Count, seqs.Distinct().Count());
        foreach (var item in items)
        {
            using var data = JsonDocument.Parse(item.Data);
            Assert.Equal(item.EventType, data.RootElement.GetProperty("event_type").GetString());
            Assert.Equal(item.EventId, data.RootElement.GetProperty("seq").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        var output = (await client.GetTaskAsync(task.Id, ct)).Output;
        using var last = JsonDocument.Parse(items[^1].Data);
        Assert.Equal(output, last.RootElement.GetProperty("data").GetProperty("output").GetString());
    }

    [Fact]
    public async Task StreamTask_StreamingAgent_SendsOutputDeltasThatAddUpToTheOutput()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        // The Simulated model writes its answer in pieces over the second half of the call's latency.
        var task = await client.CreateTaskAsync(TaskRequest("Write it out. [[simulate:delay=3000]]"), ct);

        var items = await ReadStreamAsync(client, $"/api/v1/tasks/{task.Id}/stream", lastEventId: null, ct, withLive: true);

        var deltas = items.Where(i => i.EventType == EventTypes.OutputDelta).ToList();
        Assert.True(deltas.Count > 3, $"{deltas.Count} deltas");
        Assert.All(deltas, d => Assert.Null(d.EventId));
        var streamed = string.Concat(deltas.Select(d =>
        {
            using var data = JsonDocument.Parse(d.Data);
            Assert.Equal(0, data.RootElement.GetProperty("seq").GetInt64());
            Assert.Equal(1, data.RootElement.GetProperty("data").GetProperty("attempt").GetInt32());
            return data.RootElement.GetProperty("data").GetProperty("text").GetString();
        }));
        Assert.Equal((await client.GetTaskAsync(task.Id, ct)).Output, streamed);
        var started = items.FindIndex(i => i.EventType == EventTypes.TaskStarted);
        var succeeded = items.FindIndex(i => i.EventType == EventTypes.TaskSucceeded);
        Assert.All(deltas, d => Assert.InRange(items.IndexOf(d), started + 1, succeeded - 1));
    }

    [Fact]
    public async Task StreamTask_WithLastEventId_ResumesAfterThatEventWithoutDuplicates()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var task = await client.CreateTaskAsync(TaskRequest("Stream me twice. [[simulate:delay=200]]"), ct);
        var all = await ReadStreamAsync(client, $"/api/v1/tasks/{task.Id}/stream", lastEventId: null, ct);
        Assert.Equal(EventTypes.TaskSucceeded, all[^1].EventType);

        var resumed = await ReadStreamAsync(client, $"/api/v1/tasks/{task.Id}/stream", lastEventId: all[0].EventId, ct);

        Assert.Equal(all.Skip(1).Select(i => (i.EventId, i.EventType)), resumed.Select(i => (i.EventId, i.EventType)));
    }

    [Fact]
    public async Task StreamTask_ResumedAfterItsTerminalEvent_EndsWithoutHanging()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var task = await client.CreateTaskAsync(TaskRequest("Done quickly."), ct);
        await client.WaitForTaskAsync(task.Id, Deadline, ct);
        var all = await ReadStreamAsync(client, $"/api/v1/tasks/{task.Id}/stream", lastEventId: null, ct);
        Assert.Equal(EventTypes.TaskSucceeded, all[^1].EventType);

        await AssertResumeEndsPromptlyAsync(client, $"/api/v1/tasks/{task.Id}/stream", all[^1].EventId!, ct);
    }

    [Fact]
    public async Task StreamDag_RunningDag_YieldsTaskAndDagEventsInOrderEndingWithDagSucceeded()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var dag = await client.CreateDagAsync(Dag(Node("a", "A. [[simulate:delay=300]]"), Node("b", "B from {{tasks.a.output}}", "a")), ct);

        var items = await ReadStreamAsync(client, $"/api/v1/dags/{dag.Id}/stream", lastEventId: null, ct);

        Assert.Equal(EventTypes.DagCreated, items[0].EventType);
        Assert.Equal(EventTypes.DagSucceeded, items[^1].EventType);
        var seqs = items.Select(i => long.Parse(i.EventId!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(seqs.Order(), seqs);
        Assert.Equal(seqs.Count, seqs.Distinct().Count());
        Assert.Equal(2, items.Count(i => i.EventType == EventTypes.TaskSucceeded));
        var resumed = await ReadStreamAsync(client, $"/api/v1/dags/{dag.Id}/stream", items[2].EventId, ct);
        Assert.Equal(items.Skip(3).Select(i => i.EventId), resumed.Select(i => i.EventId));
    }

    [Fact]
    public async Task StreamDag_ResumedAfterItsTerminalEvent_EndsWithoutHanging()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;
        var dag = await client.CreateDagAsync(Dag(Node("a", "A.")), ct);
        await client.WaitForDagAsync(dag.Id, Deadline, ct);
        var all = await ReadStreamAsync(client, $"/api/v1/dags/{dag.Id}/stream", lastEventId: null, ct);
        Assert.Equal(EventTypes.DagSucceeded, all[^1].EventType);

        await AssertResumeEndsPromptlyAsync(client, $"/api/v1/dags/{dag.Id}/stream", all[^1].EventId!, ct);
    }

    /// <summary>
    /// A browser EventSource reconnects with the last id it saw whenever the server closes the stream; once the stream's
    /// subject has finished, that reconnect must end at once (or be refused with 204) rather than hold a connection forever.
    /// </summary>
    private static async Task AssertResumeEndsPromptlyAsync(HttpClient client, string url, string lastEventId, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(5));
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("Last-Event-ID", lastEventId);
        List<SseItem<string>> resumed = [];
        HttpStatusCode? status = null;
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            status = response.StatusCode;
            await using var stream = await response.Content.ReadAsStreamAsync(deadline.Token);
            await foreach (var item in SseParser.Create(stream).EnumerateAsync(deadline.Token))
            {
                resumed.Add(item);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The deadline fired and aborted the request: asserted below.
        }

        Assert.False(deadline.IsCancellationRequested, $"GET {url} with Last-Event-ID {lastEventId} (the terminal event) was still open after 5 s.");
        Assert.True(status is HttpStatusCode.OK or HttpStatusCode.NoContent, $"status {status}");
        Assert.Empty(resumed);
    }

    /// <summary>Reads an SSE stream to its end (the server closes it after the terminal event), within a deadline.</summary>
    /// <param name="client">Client.</param>
    /// <param name="url">Stream.</param>
    /// <param name="lastEventId">Resume after this id.</param>
    /// <param name="cancellationToken">Test's token.</param>
    /// <param name="withLive">Keep the live-only events (output deltas, which have no id); otherwise only stored ones.</param>
    private static async Task<List<SseItem<string>>> ReadStreamAsync(HttpClient client, string url, string? lastEventId, CancellationToken cancellationToken,
        bool withLive = false)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Deadline);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        await using var stream = await response.Content.ReadAsStreamAsync(deadline.Token);
        var items = new List<SseItem<string>>();
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(deadline.Token))
        {
            if (withLive || item.EventId is not null)
            {
                items.Add(item);
            }
        }
        return items;
    }

    /// <summary>On SQLite with in-process workers.</summary>
    public sealed class Embedded(EmbeddedBackend backend) : EventStreamsTests(backend), IClassFixture<EmbeddedBackend>;

    /// <summary>On PostgreSQL and Redis Streams with a worker process.</summary>
    [Collection(DistributedBackend.Collection)]
    public sealed class Distributed(DistributedBackend backend) : EventStreamsTests(backend);
}
