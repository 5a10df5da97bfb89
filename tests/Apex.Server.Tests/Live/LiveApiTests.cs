using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using Apex.Contracts.Tasks;
using Apex.Core;
using Apex.Core.Agents;
using Apex.Core.Events;
using Apex.Server.Live;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Live;

/// <summary>The WebSocket endpoint's protocol on a real Kestrel socket: subscriptions, routing fields, errors, limits.</summary>
public sealed class LiveApiTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(64 * 1024)] // Queued messages leave in one write (the default).
    [InlineData(0)] // Each message on its own.
    public async Task Subscribe_TasksChannel_DeliversATaskLifeWithRoutingFieldsThenStaysLive(int maxBatchBytes)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = LiveServer.Start(new Dictionary<string, string?> { ["Apex:WebSocket:MaxBatchBytes"] = $"{maxBatchBytes}" });
        await using var client = await LiveClient.ConnectAsync(server.Ws, ct);

        await client.SubscribeAsync("mine", "tasks", ct);
        var subscribed = await client.ReceiveUntilAsync("subscribed", ct);
        Assert.Equal("mine", subscribed.GetProperty("id").GetString());
        Assert.Equal("tasks", subscribed.GetProperty("channel").GetString());
        Assert.Equal(0, subscribed.GetProperty("replayed").GetInt32());
        var head = subscribed.GetProperty("seq").GetInt64();

        var task = await server.Client.CreateTaskAsync(TaskRequest("Hello over the socket."), ct);
        var events = await ReceiveTaskLifeAsync(client, task.Id, ct);

        var stored = events.Where(e => e.GetProperty("seq").GetInt64() > 0).ToList();
        Assert.Equal([EventTypes.TaskCreated, EventTypes.TaskStarted, EventTypes.TaskSucceeded], stored.Select(e => e.GetProperty("event_type").GetString()));
        var history = await server.Client.GetTaskEventsAsync(task.Id, ct);
        Assert.Equal(history.Select(h => h.Seq), stored.Select(e => e.GetProperty("seq").GetInt64()));
        Assert.All(stored, e => Assert.True(e.GetProperty("seq").GetInt64() > head));
        foreach (var e in stored)
        {
            Assert.Equal("event", e.GetProperty("type").GetString());
            Assert.Equal("mine", e.GetProperty("subscription").GetString());
            Assert.Equal("tasks", e.GetProperty("channel").GetString());
            Assert.Equal("task", e.GetProperty("aggregate_type").GetString());
            Assert.Equal(task.Id, e.GetProperty("aggregate_id").GetGuid());
            Assert.Equal(task.Id, e.GetProperty("task_id").GetGuid());
            Assert.Equal(AgentDefinition.DefaultName, e.GetProperty("agent").GetString());
            Assert.False(e.TryGetProperty("dag_id", out _));
        }
        Assert.Equal(history[^1].Data.GetProperty("output").GetString(), stored[^1].GetProperty("data").GetProperty("output").GetString());
        Assert.Equal(history.Select(h => h.Version), stored.Select(e => e.GetProperty("version").GetInt32()));
    }

    [Fact]
    public async Task Subscribe_Filters_RouteByTaskDagAndAgent()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = LiveServer.Start();
        await using var client = await LiveClient.ConnectAsync(server.Ws, ct);
        var lone = await server.Client.CreateTaskAsync(TaskRequest("Before the subscriptions."), ct);
        await server.Client.WaitForTaskAsync(lone.Id, ApexHttp.FinishedTask, Deadline, ct);

        await client.SubscribeAsync("one-task", "tasks", ct, filter: $$"""{"task_id":"{{lone.Id}}"}""", since: 0);
        await client.SubscribeAsync("dags", "dags", ct);
        await client.SubscribeAsync("agent", "agents", ct, filter: $$"""{"agent":"{{AgentDefinition.DefaultName}}"}""");
        await client.SubscribeAsync("nobody", "agents", ct, filter: """{"agent":"no-such-agent"}""");
        var before = new List<JsonElement>();
        for (var i = 0; i < 4; i++)
        {
            await client.ReceiveUntilAsync("subscribed", ct, before);
        }
        var dag = await server.Client.CreateDagAsync(Dag(Node("a", "First."), Node("b", "Second.", "a")), ct);
        await server.Client.WaitForDagAsync(dag.Id, Deadline, ct);
        var received = new List<JsonElement>(before);
        while (!received.Any(e => e.GetProperty("subscription").GetString() == "dags" && e.GetProperty("event_type").GetString() == EventTypes.DagSucceeded)
            || received.Count(e => e.GetProperty("subscription").GetString() == "agent" && e.GetProperty("event_type").GetString() == EventTypes.TaskSucceeded) < 2)
        {
            received.Add(await client.ReceiveUntilAsync("event", ct));
        }

        // The task_id subscription replayed the finished task and nothing else.
        var oneTask = received.Where(e => e.GetProperty("subscription").GetString() == "one-task").ToList();
        Assert.Equal((await server.Client.GetTaskEventsAsync(lone.Id, ct)).Select(h => h.Seq), oneTask.Select(e => e.GetProperty("seq").GetInt64()));
        var dagEvents = received.Where(e => e.GetProperty("subscription").GetString() == "dags").ToList();
        Assert.Contains(dagEvents, e => e.GetProperty("event_type").GetString() == EventTypes.DagCreated && e.GetProperty("dag_id").GetGuid() == dag.Id);
        Assert.All(dagEvents, e => Assert.Equal(dag.Id, e.GetProperty("dag_id").GetGuid()));
        Assert.Equal(2, dagEvents.Where(e => e.GetProperty("aggregate_type").GetString() == "task").Select(e => e.GetProperty("task_id").GetGuid()).Distinct().Count());
        var agentEvents = received.Where(e => e.GetProperty("subscription").GetString() == "agent").ToList();
        Assert.All(agentEvents, e => Assert.Equal(AgentDefinition.DefaultName, e.GetProperty("agent").GetString()));
        Assert.All(agentEvents, e => Assert.Equal("agents", e.GetProperty("channel").GetString()));
        Assert.DoesNotContain(received, e => e.GetProperty("subscription").GetString() == "nobody");
    }

    [Fact]
    public async Task Subscribe_EventTypesFilter_DeliversAndReplaysOnlyThoseTypes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = LiveServer.Start();
        await using var client = await LiveClient.ConnectAsync(server.Ws, ct);

        await client.SubscribeAsync("states", "tasks", ct, filter: """{"event_types":["task_succeeded","task_started"]}""");
        await client.SubscribeAsync("all", "tasks", ct);
        var subscribed = await client.ReceiveUntilAsync("subscribed", ct);
        await client.ReceiveUntilAsync("subscribed", ct);
        Assert.Equal(["task_started", "task_succeeded"],
            subscribed.GetProperty("filter").GetProperty("event_types").EnumerateArray().Select(t => t.GetString()));
        // A streamed answer: output_delta events on the way, which only the unfiltered subscription sees.
        var task = await server.Client.CreateTaskAsync(TaskRequest("Stream it. [[simulate:delay=200]]"), ct);
        var received = new List<JsonElement>();
        while (received.Count(e => e.GetProperty("event_type").GetString() == EventTypes.TaskSucceeded) < 2)
        {
            received.Add(await client.ReceiveUntilAsync("event", ct));
        }
        List<string> TypesOf(string subscription) =>
            [.. received.Where(e => e.GetProperty("subscription").GetString() == subscription).Select(e => e.GetProperty("event_type").GetString()!)];

        Assert.Equal<string>([EventTypes.TaskStarted, EventTypes.TaskSucceeded], TypesOf("states"));
        Assert.Contains(EventTypes.OutputDelta, TypesOf("all"));
        Assert.Contains(EventTypes.TaskCreated, TypesOf("all"));

        // A replay is filtered the same way.
        await client.SubscribeAsync("replay", "tasks", ct, filter: $$"""{"task_id":"{{task.Id}}","event_types":["task_created"]}""", since: 0);
        var replayed = new List<JsonElement>();
        var done = await client.ReceiveUntilAsync("subscribed", ct, replayed);
        Assert.Equal(1, done.GetProperty("replayed").GetInt32());
        var only = Assert.Single(replayed, e => e.GetProperty("subscription").GetString() == "replay");
        Assert.Equal(EventTypes.TaskCreated, only.GetProperty("event_type").GetString());
    }

    [Fact]
    public async Task Subscribe_EventTypesWithoutTaskCreated_StillTagsEventsWithTheAgentTheCreationNamed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = LiveServer.Start();
        await using var client = await LiveClient.ConnectAsync(server.Ws, ct);
        await client.SubscribeAsync("states", "tasks", ct, filter: """{"event_types":["task_started"]}""");
        await client.ReceiveUntilAsync("subscribed", ct);
        var bus = server.Get<IEventBus>();
        var task = Guid.NewGuid(); // in no store: only its task_created can name its agent

        bus.Publish([Published.Event(1_000_001, EventTypes.Task, task, 1, EventTypes.TaskCreated,
            """{"name":"t","instruction":"x","agent":"writer","status":"queued","priority":0,"max_attempts":3,"limits":{"token_limit":100}}""")]);
        bus.Publish([Published.Event(1_000_002, EventTypes.Task, task, 2, EventTypes.TaskStarted, """{"attempt":1,"worker":"w"}""")]);
        var started = await client.ReceiveUntilAsync("event", ct);

        Assert.Equal(EventTypes.TaskStarted, started.GetProperty("event_type").GetString());
        Assert.Equal(task, started.GetProperty("task_id").GetGuid());
        Assert.Equal("writer", started.GetProperty("agent").GetString());
    }

    [Fact]
    public async Task Subscribe_ApprovalsChannelByTask_RoutesLaterApprovalEventsThroughTheRequestedOnesTask()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = LiveServer.Start();
        var task = await server.Client.CreateTaskAsync(TaskRequest("Waits for nobody."), ct);
        await server.Client.WaitForTaskAsync(task.Id, ApexHttp.FinishedTask, Deadline, ct);
        await using var client = await LiveClient.ConnectAsync(server.Ws, ct);
        await client.SubscribeAsync("mine", "approvals", ct, filter: $$"""{"task_id":"{{task.Id}}"}""");
        await client.SubscribeAsync("theirs", "approvals", ct, filter: $$"""{"task_id":"{{Guid.NewGuid()}}"}""");
        await client.ReceiveUntilAsync("subscribed", ct);
        await client.ReceiveUntilAsync("subscribed", ct);

        // Only approval_requested names the task; the later events are routed by what the server remembered of it.
        var approval = Guid.NewGuid();
        var requested = new ApprovalRequestedData
        {
            TaskId = task.Id,
            Attempt = 1,
            Action = "tool_call",
            Tool = "shell",
            ArgsHash = "ab",
            Risk = "high",
            Summary = "Run a command.",
            ExpiresAt = DateTimeOffset.UtcNow.AddHours(1),
        };
        server.Get<IEventBus>().Publish(
        [
            ApprovalEvent(approval, 1, EventTypes.ApprovalRequested, JsonSerializer.Serialize(requested, CoreJsonContext.Default.ApprovalRequestedData)),
            ApprovalEvent(approval, 2, EventTypes.ApprovalGranted, """{"decided_by":"ops"}"""),
        ]);
        var first = await client.ReceiveUntilAsync("event", ct);
        var second = await client.ReceiveUntilAsync("event", ct);
        await client.SendAsync("""{"type":"ping"}""", ct);
        var rest = new List<JsonElement>();
        await client.ReceiveUntilAsync("pong", ct, rest);

        Assert.Equal([EventTypes.ApprovalRequested, EventTypes.ApprovalGranted], new[] { first, second }.Select(e => e.GetProperty("event_type").GetString()));
        Assert.All(new[] { first, second }, e =>
        {
            Assert.Equal("mine", e.GetProperty("subscription").GetString());
            Assert.Equal("approval", e.GetProperty("aggregate_type").GetString());
            Assert.Equal(approval, e.GetProperty("approval_id").GetGuid());
            Assert.Equal(task.Id, e.GetProperty("task_id").GetGuid());
            Assert.Equal(AgentDefinition.DefaultName, e.GetProperty("agent").GetString());
        });
        Assert.Empty(rest);
    }

    [Fact]
    public async Task KeepAlive_ClientThatAnswersNoPing_IsAborted()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = LiveServer.Start(new Dictionary<string, string?>
        {
            ["Apex:WebSocket:KeepAliveInterval"] = "00:00:00.200",
            ["Apex:WebSocket:KeepAliveTimeout"] = "00:00:00.500",
        });
        var connections = server.Get<LiveConnections>();
        // A ClientWebSocket answers pings only while it reads: this one never reads.
        await using var silent = await LiveClient.ConnectAsync(server.Ws, ct);

        var open = await ApexHttp.PollAsync(() => Task.FromResult<object?>(connections.Active == 1 ? true : null), Deadline, ct);
        var gone = await ApexHttp.PollAsync(() => Task.FromResult<object?>(connections.Active == 0 ? true : null), Deadline, ct);

        Assert.NotNull(open);
        Assert.NotNull(gone);
    }

    [Fact]
    public async Task Unsubscribe_ById_StopsDeliveryAndAcknowledges()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = LiveServer.Start();
        await using var client = await LiveClient.ConnectAsync(server.Ws, ct);
        await client.SubscribeAsync("gone", "tasks", ct);
        await client.ReceiveUntilAsync("subscribed", ct);
        await client.SubscribeAsync("kept", "dags", ct);
        await client.ReceiveUntilAsync("subscribed", ct);

        await client.SendAsync("""{"type":"unsubscribe","id":"gone"}""", ct);
        var unsubscribed = await client.ReceiveUntilAsync("unsubscribed", ct);
        Assert.Equal("gone", unsubscribed.GetProperty("id").GetString());
        var dag = await server.Client.CreateDagAsync(Dag(Node("a", "Only.")), ct);
        var seen = new List<JsonElement>();
        JsonElement last;
        do
        {
            last = await client.ReceiveUntilAsync("event", ct);
            seen.Add(last);
        }
        while (last.GetProperty("event_type").GetString() != EventTypes.DagSucceeded);

        Assert.All(seen, e => Assert.Equal("kept", e.GetProperty("subscription").GetString()));
        Assert.Contains(seen, e => e.GetProperty("aggregate_type").GetString() == "task" && e.GetProperty("dag_id").GetGuid() == dag.Id);
    }

    [Fact]
    public async Task Ping_AnswersPongWithItsId()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = LiveServer.Start();
        await using var client = await LiveClient.ConnectAsync(server.Ws, ct);

        await client.SendAsync("""{"type":"ping","id":"p1"}""", ct);
        var pong = await client.ReceiveAsync(ct);

        Assert.Equal("pong", pong!.Value.GetProperty("type").GetString());
        Assert.Equal("p1", pong.Value.GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("not json", "invalid_json", null)]
    [InlineData("[1,2]", "invalid_json", null)]
    [InlineData("""{"id":"x1"}""", "invalid_message", "x1")]
    [InlineData("""{"type":"dance","id":"x2"}""", "invalid_message", "x2")]
    [InlineData("""{"type":"subscribe","id":"x3","channel":"everything"}""", "unknown_channel", "x3")]
    [InlineData("""{"type":"subscribe","id":"x4","channel":"tasks","filter":{"task_id":"not-a-uuid"}}""", "invalid_filter", "x4")]
    [InlineData("""{"type":"subscribe","id":"x5","channel":"tasks","filter":{"colour":"red"}}""", "invalid_filter", "x5")]
    [InlineData("""{"type":"subscribe","id":"x8","channel":"tasks","filter":{"event_types":[]}}""", "invalid_filter", "x8")]
    [InlineData("""{"type":"subscribe","id":"x9","channel":"tasks","filter":{"event_types":["task_finished"]}}""", "invalid_filter", "x9")]
    [InlineData("""{"type":"subscribe","id":"x10","channel":"tasks","filter":{"event_types":"task_started"}}""", "invalid_filter", "x10")]
    [InlineData("""{"type":"subscribe","id":"x6","channel":"tasks","since":-1}""", "invalid_since", "x6")]
    [InlineData("""{"type":"subscribe","id":"x7","channel":"tasks","since":"soon"}""", "invalid_since", "x7")]
    [InlineData("""{"type":"unsubscribe","id":"never"}""", "unknown_subscription", "never")]
    [InlineData("""{"type":"unsubscribe"}""", "invalid_message", null)]
    public async Task BadMessage_AnswersErrorAndKeepsTheSocketOpen(string message, string code, string? id)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = LiveServer.Start();
        await using var client = await LiveClient.ConnectAsync(server.Ws, ct);

        await client.SendAsync(message, ct);
        var error = await client.ReceiveAsync(ct);
        await client.SendAsync("""{"type":"ping"}""", ct);
        var pong = await client.ReceiveAsync(ct);

        Assert.Equal("error", error!.Value.GetProperty("type").GetString());
        Assert.Equal(code, error.Value.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.Value.GetProperty("message").GetString()));
        Assert.Equal(id, error.Value.TryGetProperty("id", out var echoed) ? echoed.GetString() : null);
        Assert.Equal("pong", pong!.Value.GetProperty("type").GetString());
        Assert.Equal(WebSocketState.Open, client.Socket.State);
    }

    [Fact]
    public async Task Subscribe_DuplicateIdAndOverTheLimit_AreRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = LiveServer.Start(new Dictionary<string, string?> { ["Apex:WebSocket:MaxSubscriptionsPerConnection"] = "2" });
        await using var client = await LiveClient.ConnectAsync(server.Ws, ct);
        await client.SubscribeAsync("a", "tasks", ct);
        await client.ReceiveUntilAsync("subscribed", ct);

        await client.SubscribeAsync("a", "dags", ct);
        var duplicate = await client.ReceiveUntilAsync("error", ct);
        await client.SubscribeAsync("b", "dags", ct);
        await client.ReceiveUntilAsync("subscribed", ct);
        await client.SubscribeAsync("c", "approvals", ct);
        var tooMany = await client.ReceiveUntilAsync("error", ct);

        Assert.Equal("duplicate_subscription", duplicate.GetProperty("code").GetString());
        Assert.Equal("too_many_subscriptions", tooMany.GetProperty("code").GetString());
        Assert.Equal("c", tooMany.GetProperty("id").GetString());
    }

    [Fact]
    public async Task InvalidMessages_MoreInARowThanAllowed_CloseWithPolicyViolation()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = LiveServer.Start(new Dictionary<string, string?> { ["Apex:WebSocket:MaxInvalidMessages"] = "3" });
        await using var client = await LiveClient.ConnectAsync(server.Ws, ct);

        for (var i = 0; i < 4; i++)
        {
            await client.SendAsync("nonsense", ct);
        }
        var (status, reason) = await client.ReceiveCloseAsync(ct);

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.Equal("too_many_invalid_messages", reason);
    }

    [Fact]
    public async Task OversizedMessage_OneMebibyte_ClosesWith1009WithinOneSecond()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = LiveServer.Start();
        await using var client = await LiveClient.ConnectAsync(server.Ws, ct);
        var huge = new byte[1024 * 1024];
        Array.Fill(huge, (byte)'x');

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var sending = client.Socket.SendAsync(huge, WebSocketMessageType.Text, endOfMessage: true, ct);
        var (status, reason) = await client.ReceiveCloseAsync(ct);
        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        await sending;

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
        Assert.Equal("message_too_big", reason);
        Assert.True(elapsed < TimeSpan.FromSeconds(1), $"closed after {elapsed.TotalMilliseconds:N0} ms");
    }

    [Fact]
    public async Task BinaryMessage_ClosesWithInvalidMessageType()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = LiveServer.Start();
        await using var client = await LiveClient.ConnectAsync(server.Ws, ct);

        await client.Socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, endOfMessage: true, ct);
        var (status, reason) = await client.ReceiveCloseAsync(ct);

        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, status);
        Assert.Equal("text_only", reason);
    }

    [Fact]
    public async Task Upgrade_ForeignOrigin_Gets403ProblemBeforeAnySocket()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = LiveServer.Start();

        var refused = await Assert.ThrowsAsync<WebSocketException>(() => LiveClient.ConnectAsync(server.Ws, ct, origin: "http://evil.example"));
        using var request = UpgradeRequest("http://evil.example");
        using var response = await server.Client.SendAsync(request, ct);
        await using var same = await LiveClient.ConnectAsync(server.Ws, ct, origin: server.Http.GetLeftPart(UriPartial.Authority));
        await using var none = await LiveClient.ConnectAsync(server.Ws, ct);

        Assert.Contains("403", refused.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal("origin_not_allowed", problem.GetProperty("code").GetString());
        Assert.Equal(WebSocketState.Open, same.Socket.State);
        Assert.Equal(WebSocketState.Open, none.Socket.State);
    }

    [Fact]
    public async Task Upgrade_ConfiguredOrigin_IsAccepted()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = LiveServer.Start(new Dictionary<string, string?> { ["Apex:WebSocket:AllowedOrigins:0"] = "http://localhost:5173" });

        await using var client = await LiveClient.ConnectAsync(server.Ws, ct, origin: "http://localhost:5173");
        await client.SendAsync("""{"type":"ping"}""", ct);

        Assert.Equal("pong", (await client.ReceiveAsync(ct))!.Value.GetProperty("type").GetString());
    }

    [Fact]
    public async Task PlainHttp_Gets400Problem()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = LiveServer.Start();

        using var response = await server.Client.GetAsync("/api/v1/ws", ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal("websocket_required", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Upgrade_OverMaxConnections_Gets503WithRetryAfter()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = LiveServer.Start(new Dictionary<string, string?> { ["Apex:WebSocket:MaxConnections"] = "1" });
        await using var first = await LiveClient.ConnectAsync(server.Ws, ct);

        using var request = UpgradeRequest(origin: null);
        using var response = await server.Client.SendAsync(request, ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal("ws_connection_limit", problem.GetProperty("code").GetString());
    }

    private static StoredEvent ApprovalEvent(Guid approval, int version, string type, string data) =>
        Published.Event(long.MaxValue / 2 + version, EventTypes.Approval, approval, version, type, data);

    private static HttpRequestMessage UpgradeRequest(string? origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/ws");
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new System.Net.Http.Headers.ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        return request;
    }

    private static async Task<List<JsonElement>> ReceiveTaskLifeAsync(LiveClient client, Guid taskId, CancellationToken ct)
    {
        var events = new List<JsonElement>();
        while (true)
        {
            var e = await client.ReceiveUntilAsync("event", ct);
            if (e.GetProperty("task_id").GetGuid() != taskId)
            {
                continue;
            }
            events.Add(e);
            if (EventTypes.IsTerminal(e.GetProperty("event_type").GetString()!))
            {
                return events;
            }
        }
    }
}
