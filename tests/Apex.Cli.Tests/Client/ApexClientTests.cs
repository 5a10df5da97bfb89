using System.Net;
using System.Text;
using Apex.Client;
using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Xunit;

namespace Apex.Cli.Tests.Client;

public sealed class ApexClientTests
{
    private const string TaskJson = """
        {"id":"0190a4a4-0000-7000-8000-000000000001","name":"t","instruction":"do it","agent":"default",
         "status":"awaiting_approval","attempt":1,"max_attempts":3,
         "usage":{"input_tokens":10,"output_tokens":5,"cost_usd":0.001,"api_calls":1},
         "limits":{"token_limit":20000},"created_at":"2025-01-01T00:00:00Z"}
        """;

    private static readonly Guid TaskId = Guid.Parse("0190a4a4-0000-7000-8000-000000000001");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SubmitTaskAsync_SendsSnakeCaseBodyAndIdempotencyKey_ReadsTheTask()
    {
        var handler = new StubHandler(_ => StubHandler.Json(HttpStatusCode.Created, TaskJson));
        var client = Client(handler);

        var task = await client.SubmitTaskAsync(
            new CreateTaskRequest { Instruction = "do it", MaxAttempts = 3, Limits = new TaskLimits { TokenLimit = 500 } }, "key-1", Token);

        var request = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("/api/v1/tasks", request.PathAndQuery);
        Assert.Equal("key-1", request.Headers["Idempotency-Key"]);
        Assert.Equal("""{"instruction":"do it","max_attempts":3,"limits":{"token_limit":500}}""", request.Body);
        Assert.Equal(TaskId, task.Id);
        Assert.Equal(TaskState.AwaitingApproval, task.Status);
        Assert.Equal(15, task.Usage.InputTokens + task.Usage.OutputTokens);
    }

    [Fact]
    public async Task ListTasksAsync_PutsEveryFilterInTheQuery()
    {
        var handler = new StubHandler(_ => StubHandler.Json(HttpStatusCode.OK, $$"""{"items":[{{TaskJson}}],"next_cursor":"c2"}"""));
        var dagId = Guid.Parse("0190a4a4-0000-7000-8000-0000000000aa");

        var page = await Client(handler).ListTasksAsync(TaskState.AwaitingApproval, dagId, "my agent", 25, "c/1", Token);

        Assert.Equal($"/api/v1/tasks?status=awaiting_approval&dag_id={dagId}&agent=my%20agent&limit=25&cursor=c%2F1", handler.Requests[0].PathAndQuery);
        Assert.Single(page.Items);
        Assert.Equal("c2", page.NextCursor);
    }

    [Fact]
    public async Task Routes_MatchTheCanonicalApi()
    {
        var dagJson = """{"id":"0190a4a4-0000-7000-8000-0000000000aa","name":"d","status":"running","tasks":[]}""";
        var handler = new StubHandler(request => request.RequestUri!.AbsolutePath switch
        {
            var p when p.Contains("/dags", StringComparison.Ordinal) && p.EndsWith("/cancel", StringComparison.Ordinal) => new HttpResponseMessage(HttpStatusCode.NoContent),
            var p when p.StartsWith("/api/v1/dags/", StringComparison.Ordinal) => StubHandler.Json(HttpStatusCode.OK, dagJson),
            "/api/v1/dags" when request.Method == HttpMethod.Get => StubHandler.Json(HttpStatusCode.OK, $$"""{"items":[{{dagJson}}]}"""),
            "/api/v1/dags" => StubHandler.Json(HttpStatusCode.Created, dagJson),
            "/api/v1/tasks/batch" => StubHandler.Json(HttpStatusCode.Created, $$"""{"ids":["{{TaskId}}"]}"""),
            var p when p.EndsWith("/events", StringComparison.Ordinal) => StubHandler.Json(HttpStatusCode.OK,
                """{"items":[{"seq":7,"version":1,"event_type":"task_created","data":{"name":"t"},"created_at":"2025-01-01T00:00:00Z"}]}"""),
            _ => StubHandler.Json(HttpStatusCode.OK, TaskJson),
        });
        var client = Client(handler);
        var dagId = Guid.Parse("0190a4a4-0000-7000-8000-0000000000aa");

        await client.GetTaskAsync(TaskId, Token);
        await client.CancelTaskAsync(TaskId, Token);
        await client.RetryTaskAsync(TaskId, Token);
        var events = await client.GetTaskEventsAsync(TaskId, Token);
        await client.SubmitBatchAsync(new CreateTaskBatchRequest { Tasks = [new CreateTaskRequest { Instruction = "x" }] }, cancellationToken: Token);
        await client.SubmitDagAsync(new CreateDagRequest { Name = "d" }, "dag-key", Token);
        await client.GetDagAsync(dagId, Token);
        await client.ListDagsAsync(DagState.Running, cancellationToken: Token);
        var cancelled = await client.CancelDagAsync(dagId, Token);

        Assert.Equal(
            [
                $"GET /api/v1/tasks/{TaskId}",
                $"POST /api/v1/tasks/{TaskId}/cancel",
                $"POST /api/v1/tasks/{TaskId}/retry",
                $"GET /api/v1/tasks/{TaskId}/events",
                "POST /api/v1/tasks/batch",
                "POST /api/v1/dags",
                $"GET /api/v1/dags/{dagId}",
                "GET /api/v1/dags?status=running",
                $"POST /api/v1/dags/{dagId}/cancel",
                // The cancel answered 204 with no body: the client reads the DAG instead.
                $"GET /api/v1/dags/{dagId}",
            ],
            handler.Requests.Select(r => $"{r.Method} {r.PathAndQuery}"));
        Assert.Equal("dag-key", handler.Requests[5].Headers["Idempotency-Key"]);
        Assert.Equal(7, Assert.Single(events.Items).Seq);
        Assert.Equal(DagState.Running, cancelled.Status);
    }

    [Fact]
    public async Task Agents_UseTheAgentRoutes()
    {
        var agentId = Guid.Parse("0190a4a4-0000-7000-8000-0000000000bb");
        var agentJson = $$"""{"id":"{{agentId}}","name":"writer","provider":"simulated","model":"sim-1","max_concurrency":4}""";
        var handler = new StubHandler(request => request.Method == HttpMethod.Delete
            ? new HttpResponseMessage(HttpStatusCode.NoContent)
            : StubHandler.Json(HttpStatusCode.OK, request.RequestUri!.AbsolutePath == "/api/v1/agents" && request.Method == HttpMethod.Get
                ? $$"""{"items":[{{agentJson}}]}"""
                : agentJson));
        var client = Client(handler);

        var page = await client.ListAgentsAsync(includeStats: true, cancellationToken: Token);
        await client.GetAgentAsync(agentId, cancellationToken: Token);
        await client.CreateAgentAsync(new Apex.Contracts.Agents.AgentRequest { Name = "writer" }, Token);
        await client.UpdateAgentAsync(agentId, new Apex.Contracts.Agents.AgentRequest { Name = "writer", MaxConcurrency = 4 }, Token);
        await client.DeleteAgentAsync(agentId, Token);

        Assert.Equal(
            [
                "GET /api/v1/agents?include_stats=true",
                $"GET /api/v1/agents/{agentId}",
                "POST /api/v1/agents",
                $"PUT /api/v1/agents/{agentId}",
                $"DELETE /api/v1/agents/{agentId}",
            ],
            handler.Requests.Select(r => $"{r.Method} {r.PathAndQuery}"));
        Assert.Equal("writer", Assert.Single(page.Items).Name);
        Assert.Equal("""{"name":"writer","max_concurrency":4}""", handler.Requests[3].Body);
    }

    [Fact]
    public async Task SubmitDagAsync_ValidationProblem_IsThrownWithCodeErrorsAndNodes()
    {
        var handler = new StubHandler(_ => StubHandler.Json(HttpStatusCode.UnprocessableEntity, """
            {"type":"https://apex.dev/problems/dag_cycle","title":"The DAG is invalid.","status":422,
             "detail":"The edges form a cycle: a → b → a.","code":"dag_cycle",
             "errors":{"tasks[0].instruction":["An instruction is required."],"limits.token_limit":["Must be positive.","Really."]},
             "nodes":["a","b","a"]}
            """, "application/problem+json"));

        var e = await Assert.ThrowsAsync<ApexApiException>(() => Client(handler).SubmitDagAsync(new CreateDagRequest(), cancellationToken: Token));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, e.StatusCode);
        Assert.Equal("dag_cycle", e.Code);
        Assert.Equal("The DAG is invalid.", e.Title);
        Assert.Equal("The edges form a cycle: a → b → a.", e.Detail);
        Assert.Equal("The edges form a cycle: a → b → a.", e.Message);
        Assert.Equal(["An instruction is required."], e.Errors["tasks[0].instruction"]);
        Assert.Equal(["Must be positive.", "Really."], e.Errors["limits.token_limit"]);
        Assert.Equal(["a", "b", "a"], e.Nodes);
        Assert.Null(e.RetryAfter);
        Assert.True(e.IsInvalidRequest);
    }

    [Fact]
    public async Task SubmitTaskAsync_TooManyRequests_CarriesRetryAfterSeconds()
    {
        var handler = new StubHandler(_ =>
        {
            var response = StubHandler.Json(HttpStatusCode.TooManyRequests,
                """{"title":"Over quota","status":429,"code":"queue_full"}""", "application/problem+json");
            response.Headers.Add("Retry-After", "7");
            return response;
        });

        var e = await Assert.ThrowsAsync<ApexApiException>(() => Client(handler).SubmitTaskAsync(new CreateTaskRequest(), cancellationToken: Token));

        Assert.Equal(HttpStatusCode.TooManyRequests, e.StatusCode);
        Assert.Equal("queue_full", e.Code);
        Assert.Equal(TimeSpan.FromSeconds(7), e.RetryAfter);
        Assert.Empty(e.Errors);
        Assert.Empty(e.Nodes);
        Assert.False(e.IsInvalidRequest);
    }

    [Fact]
    public async Task GetTaskAsync_ServiceUnavailable_CarriesRetryAfterDate()
    {
        var handler = new StubHandler(_ =>
        {
            var response = StubHandler.Json(HttpStatusCode.ServiceUnavailable,
                """{"title":"Store down","status":503,"code":"store_unavailable"}""", "application/problem+json");
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(DateTimeOffset.UtcNow.AddMinutes(2));
            return response;
        });

        var e = await Assert.ThrowsAsync<ApexApiException>(() => Client(handler).GetTaskAsync(TaskId, Token));

        Assert.Equal("store_unavailable", e.Code);
        Assert.InRange(e.RetryAfter!.Value, TimeSpan.FromSeconds(100), TimeSpan.FromSeconds(120));
    }

    [Fact]
    public async Task GetTaskAsync_ProxyErrorPage_BecomesAnHttpCode()
    {
        var handler = new StubHandler(_ => new HttpResponseMessage(HttpStatusCode.BadGateway)
        {
            ReasonPhrase = "Bad Gateway",
            Content = new StringContent("<html>upstream down</html>", Encoding.UTF8, "text/html"),
        });

        var e = await Assert.ThrowsAsync<ApexApiException>(() => Client(handler).GetTaskAsync(TaskId, Token));

        Assert.Equal(HttpStatusCode.BadGateway, e.StatusCode);
        Assert.Equal("http_502", e.Code);
        Assert.Equal("Bad Gateway", e.Title);
        Assert.Equal("<html>upstream down</html>", e.Detail);
    }

    [Fact]
    public async Task WatchDagAsync_ReadsServerSentEvents_SkippingKeepAlives()
    {
        const string stream = """
            : connected

            id: 41
            event: task_started
            data: {"seq":41,"version":3,"event_type":"task_started","data":{"attempt":1,"worker":"w1"},"created_at":"2025-01-01T00:00:00Z"}

            event: ping
            data:

            id: 42
            event: dag_succeeded
            data: {"version":4,"event_type":"dag_succeeded",
            data:  "data":{},"created_at":"2025-01-01T00:00:01Z"}


            """;
        var handler = new StubHandler(_ => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent(stream.ReplaceLineEndings("\n"), Encoding.UTF8, "text/event-stream"),
        });
        var dagId = Guid.Parse("0190a4a4-0000-7000-8000-0000000000aa");

        var events = new List<TaskEventResponse>();
        await foreach (var e in Client(handler).WatchDagAsync(dagId, Token))
        {
            events.Add(e);
        }

        Assert.Equal($"/api/v1/dags/{dagId}/stream", handler.Requests[0].PathAndQuery);
        Assert.Equal("text/event-stream", handler.Requests[0].Headers["Accept"]);
        Assert.Equal(["task_started", "dag_succeeded"], events.Select(e => e.EventType));
        Assert.Equal([41L, 42L], events.Select(e => e.Seq));
        Assert.Equal(1, events[0].Data.GetProperty("attempt").GetInt32());
    }

    [Fact]
    public async Task WatchTaskAsync_ReadsTheTaskStream()
    {
        var handler = new StubHandler(_ => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent(
                "id: 5\nevent: task_succeeded\ndata: {\"seq\":5,\"version\":4,\"event_type\":\"task_succeeded\",\"data\":{}}\n\n",
                Encoding.UTF8, "text/event-stream"),
        });

        var events = new List<TaskEventResponse>();
        await foreach (var e in Client(handler).WatchTaskAsync(TaskId, Token))
        {
            events.Add(e);
        }

        Assert.Equal($"/api/v1/tasks/{TaskId}/stream", handler.Requests[0].PathAndQuery);
        Assert.Equal("task_succeeded", Assert.Single(events).EventType);
    }

    [Fact]
    public async Task WatchDagAsync_UnknownDag_ThrowsNotFound()
    {
        var handler = new StubHandler(_ => StubHandler.Json(HttpStatusCode.NotFound,
            """{"title":"Not found","status":404,"code":"dag_not_found","detail":"No dag with id 'x'."}""", "application/problem+json"));

        var e = await Assert.ThrowsAsync<ApexApiException>(async () =>
        {
            await foreach (var _ in Client(handler).WatchDagAsync(Guid.NewGuid(), Token))
            {
            }
        });

        Assert.Equal("dag_not_found", e.Code);
    }

    [Fact]
    public void Constructor_WithoutBaseAddress_IsRejected() =>
        Assert.Throws<ArgumentException>(() => new ApexClient(new HttpClient()));

    private static ApexClient Client(StubHandler handler) =>
        new(new HttpClient(handler) { BaseAddress = new Uri("http://apex.test/") });
}
