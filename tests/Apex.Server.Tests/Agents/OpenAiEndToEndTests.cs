using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Apex.Contracts;
using Apex.Contracts.Agents;
using Apex.Contracts.Approvals;
using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Server.Tests.Conformance;
using Apex.Testing;
using Apex.Testing.LlmFakes;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Agents;

/// <summary>
/// A DAG on a real provider client: the server is pointed at an OpenAI-compatible fake on loopback through nothing but
/// <c>OPENAI_BASE_URL</c> and <c>OPENAI_API_KEY</c>, and its output deltas reach an SSE client.
/// </summary>
public sealed class OpenAiEndToEndTests
{
    private static readonly string ApiKey = FakeSecrets.OpenAi("test-canary-0123456789abcdef");
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Dag_OnTheOpenAiFake_RunsEndToEndAndStreamsItsDeltasOverSse()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = await OpenAiFake.StartAsync(ct);
        // The first answer waits a moment, so the stream below is listening before the deltas are written.
        fake.Enqueue(FakeReply.WithText("Alpha figures: revenue up nine percent, costs flat, margin better by two points.", 42, 17)
            with
        { Delay = TimeSpan.FromSeconds(1.5) });
        await using var server = await new EmbeddedBackend().StartAsync(new Dictionary<string, string?>
        {
            ["OPENAI_BASE_URL"] = fake.BaseUrl,
            ["OPENAI_API_KEY"] = ApiKey,
        });
        var client = server.Client;

        var dag = await client.CreateDagAsync(Dag(Node("a", "Collect the figures."), Node("b", "Summarise: {{tasks.a.output}}", "a")), ct);
        var items = await ReadDagStreamAsync(client, dag.Id, ct);

        Assert.Equal(EventTypes.DagSucceeded, items[^1].EventType);
        var a = await client.GetTaskAsync(dag.Tasks!.Single(t => t.Key == "a").Id, ct);
        var b = await client.GetTaskAsync(dag.Tasks!.Single(t => t.Key == "b").Id, ct);
        Assert.Equal("Alpha figures: revenue up nine percent, costs flat, margin better by two points.", a.Output);
        Assert.Equal((42L, 17L, 1), (a.Usage.InputTokens, a.Usage.OutputTokens, a.Usage.ApiCalls));
        Assert.Contains(a.Output!, b.Output, StringComparison.Ordinal); // the fake echoes the rendered instruction
        var deltasOfA = items.Where(i => i.EventType == EventTypes.OutputDelta && TaskOf(i) == a.Id).Select(Text).ToList();
        Assert.True(deltasOfA.Count > 1, $"{deltasOfA.Count} deltas");
        Assert.Equal(a.Output, string.Concat(deltasOfA));

        Assert.Equal(2, fake.RequestCount);
        Assert.All(fake.Requests, r => Assert.Equal("/v1/chat/completions", r.Path));
        Assert.All(fake.Requests, r => Assert.DoesNotContain(ApiKey, r.Body, StringComparison.Ordinal));
        var agents = await client.GetStringAsync("/api/v1/agents", ct);
        Assert.Contains("\"provider\":\"openai\"", agents, StringComparison.Ordinal);
        var usage = await client.GetStringAsync("/api/v1/usage?group_by=model", ct);
        Assert.Contains("\"key\":\"gpt-4o-mini\"", usage, StringComparison.Ordinal);
        foreach (var id in new[] { a.Id, b.Id })
        {
            Assert.DoesNotContain(ApiKey, await client.GetStringAsync($"/api/v1/tasks/{id}/events", ct), StringComparison.Ordinal);
        }
        Assert.All(items, i => Assert.DoesNotContain(ApiKey, i.Data, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Agent_WithCalculator_CallsTheToolAndAnswersWithItsResult()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = await OpenAiFake.StartAsync(ct);
        fake.Enqueue(FakeReply.WithToolCall("calculator", """{"expression":"6*7"}"""));
        // Planted: a tool the agent is not allowed; it must never run.
        fake.Enqueue(FakeReply.WithToolCall("http_fetch", """{"url":"http://169.254.169.254/latest/meta-data/"}""", "call_2"));
        fake.Enqueue(FakeReply.WithText("The answer is 42."));
        await using var server = await StartAsync(fake);
        var client = server.Client;
        await CreateAgentAsync(client, new AgentRequest { Name = "maths", Provider = "openai", Tools = new AgentTools { Allowed = ["calculator"] } }, ct);

        var task = await client.WaitForTaskAsync((await client.CreateTaskAsync(TaskRequest("What is six times seven?", agent: "maths"), ct)).Id, Deadline, ct);

        Assert.Equal((TaskState.Succeeded, "The answer is 42."), (task.Status, task.Output));
        Assert.Equal(3, fake.RequestCount);
        Assert.Equal(3, task.Usage.ApiCalls);
        var second = fake.Requests[1].Body;
        Assert.Contains("42", second, StringComparison.Ordinal); // the calculator's result went back to the model
        Assert.Contains("\"name\":\"calculator\"", fake.Requests[0].Body, StringComparison.Ordinal); // only the allowed tool was offered
        Assert.DoesNotContain("http_fetch", fake.Requests[0].Body, StringComparison.Ordinal);
        Assert.Contains("not found", fake.Requests[2].Body, StringComparison.OrdinalIgnoreCase); // the planted call was refused
    }

    [Fact]
    public async Task Agent_WithACascade_EscalatesPastARefusalAndRecordsBothModels()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = await OpenAiFake.StartAsync(ct);
        fake.Enqueue(FakeReply.WithText("I'm sorry, but I can't help with that request.", 30, 12));
        fake.Enqueue(FakeReply.WithText("Paris is the capital of France.", 30, 8));
        await using var server = await StartAsync(fake);
        var client = server.Client;
        await CreateAgentAsync(client, new AgentRequest { Name = "frugal", Provider = "openai", Model = "gpt-4o", Cascade = ["gpt-4o-mini", "gpt-4o"] }, ct);

        var task = await client.WaitForTaskAsync((await client.CreateTaskAsync(TaskRequest("Capital of France?", agent: "frugal"), ct)).Id, Deadline, ct);

        Assert.Equal((TaskState.Succeeded, "Paris is the capital of France."), (task.Status, task.Output));
        Assert.Equal(["gpt-4o-mini", "gpt-4o"], fake.Requests.Select(r => r.Json!["model"]!.GetValue<string>()));
        Assert.Equal((60L, 20L, 2), (task.Usage.InputTokens, task.Usage.OutputTokens, task.Usage.ApiCalls));

        // Every decision is in the task's history (its succeeded event) and a line of the usage API.
        var succeeded = (await client.GetTaskEventsAsync(task.Id, ct)).Single(e => e.EventType == EventTypes.TaskSucceeded);
        var steps = succeeded.Data.GetProperty("cascade").EnumerateArray()
            .Select(s => (s.GetProperty("model").GetString(), s.GetProperty("outcome").GetString(), s.GetProperty("reason").GetString(), s.GetProperty("final").GetBoolean()))
            .ToList();
        Assert.Equal([("gpt-4o-mini", "rejected", "refusal", false), ("gpt-4o", "accepted", "accepted", true)], steps);

        // A second task the cheap model answers: its answer is kept, and the saving against gpt-4o shows.
        fake.Enqueue(FakeReply.WithText("Berlin is the capital of Germany.", 1_000, 500));
        var cheap = await client.WaitForTaskAsync((await client.CreateTaskAsync(TaskRequest("Capital of Germany?", agent: "frugal"), ct)).Id, Deadline, ct);
        Assert.Equal(TaskState.Succeeded, cheap.Status);

        var byModel = (await client.GetFromJsonAsync("/api/v1/usage?group_by=model", ApexJsonContext.Default.UsageReport, ct))!;
        var mini = byModel.Items.Single(i => i.Key == "gpt-4o-mini").Cascade!;
        var top = byModel.Items.Single(i => i.Key == "gpt-4o").Cascade!;
        Assert.Equal((1L, 1L, 0L), (mini.Accepted, mini.Rejected, mini.ProviderErrors));
        Assert.Equal((1L, 0L), (top.Accepted, top.Rejected));
        var byAgent = (await client.GetFromJsonAsync("/api/v1/usage?group_by=agent", ApexJsonContext.Default.UsageReport, ct))!.Items.Single(i => i.Key == "frugal").Cascade!;
        var pricing = new Apex.Agents.Pricing.PricingOptions();
        // The baseline: gpt-4o's price for the tokens of each answer kept.
        var baseline = pricing.CostOf("gpt-4o", 30, 8) + pricing.CostOf("gpt-4o", 1_000, 500);
        var spent = pricing.CostOf("gpt-4o-mini", 30, 12) + pricing.CostOf("gpt-4o", 30, 8) + pricing.CostOf("gpt-4o-mini", 1_000, 500);
        Assert.Equal((baseline, spent, baseline - spent), (byAgent.TopModelCostUsd, byAgent.CostUsd, byAgent.SavedUsd));
        Assert.True(byAgent.SavedUsd > 0, $"saved {byAgent.SavedUsd}");
    }

    [Fact]
    public async Task Agent_WithACascadeAndAJudge_EscalatesPastAWellFormedWrongAnswer()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = await OpenAiFake.StartAsync(ct);
        fake.Enqueue(FakeReply.WithText("Lyon is the capital of France.", 30, 8)); // passes the rules
        fake.Enqueue(FakeReply.WithText("0.1", 60, 1));                           // the judge disagrees
        fake.Enqueue(FakeReply.WithText("Paris is the capital of France.", 30, 8));
        fake.Enqueue(FakeReply.WithText("0.95", 60, 1));
        await using var server = await StartAsync(fake, new Dictionary<string, string?> { ["Apex:Routing:JudgeModel"] = "gpt-4o" });
        var client = server.Client;
        await CreateAgentAsync(client, new AgentRequest { Name = "judged", Provider = "openai", Model = "gpt-4o", Cascade = ["gpt-4o-mini", "gpt-4o"] }, ct);

        var task = await client.WaitForTaskAsync((await client.CreateTaskAsync(TaskRequest("Capital of France?", agent: "judged"), ct)).Id, Deadline, ct);

        Assert.Equal((TaskState.Succeeded, "Paris is the capital of France."), (task.Status, task.Output));
        Assert.Equal(["gpt-4o-mini", "gpt-4o", "gpt-4o", "gpt-4o"], fake.Requests.Select(r => r.Json!["model"]!.GetValue<string>()));
        Assert.Equal(4, task.Usage.ApiCalls); // the judge's calls are the task's too
    }

    [Fact]
    public async Task Agent_WithAnOutputSchema_AsksForStructuredOutputAndEscalatesPastInvalidJson()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = await OpenAiFake.StartAsync(ct);
        fake.Enqueue(FakeReply.WithText("The total is 12."));        // not JSON: the cheap model's answer is rejected
        fake.Enqueue(FakeReply.WithText("""{"total": "twelve"}"""));  // JSON, but not the schema's
        fake.Enqueue(FakeReply.WithText("""{"total": 12}"""));
        await using var server = await StartAsync(fake);
        var client = server.Client;
        using var schema = JsonDocument.Parse("""{"type":"object","required":["total"],"properties":{"total":{"type":"number"}}}""");
        await CreateAgentAsync(client, new AgentRequest
        {
            Name = "extractor",
            Provider = "openai",
            Model = "gpt-4o",
            Cascade = ["gpt-4o-mini", "claude-like-mid", "gpt-4o"],
            OutputSchema = schema.RootElement.Clone(),
        }, ct);

        var task = await client.WaitForTaskAsync((await client.CreateTaskAsync(TaskRequest("Sum 5 and 7 as JSON.", agent: "extractor"), ct)).Id, Deadline, ct);

        Assert.Equal((TaskState.Succeeded, """{"total": 12}"""), (task.Status, task.Output));
        Assert.All(fake.Requests, r => Assert.Contains("json_schema", r.Body, StringComparison.Ordinal));
        var plain = await Problem.ReadAsync(await client.PostAsJsonAsync("/api/v1/agents",
            new AgentRequest { Name = "bad", OutputSchema = JsonDocument.Parse("\"not a schema\"").RootElement.Clone() }, ApexJsonContext.Default.AgentRequest, ct), ct);
        Assert.Contains("output_schema", plain.Errors.Keys);
    }

    [Fact]
    public async Task Agent_WithAnOutputSchemaAndNoCascade_FailsInvalidOutputWhenTheAnswerIsNotJson()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = await OpenAiFake.StartAsync(ct); // answers every request in prose
        await using var server = await StartAsync(fake);
        var client = server.Client;
        using var schema = JsonDocument.Parse("""{"type":"object"}""");
        await CreateAgentAsync(client, new AgentRequest { Name = "strict", Provider = "openai", OutputSchema = schema.RootElement.Clone() }, ct);

        var created = await client.CreateTaskAsync(TaskRequest("Answer in prose.", agent: "strict") with { MaxAttempts = 1 }, ct);
        var task = await client.WaitForTaskAsync(created.Id, Deadline, ct);

        Assert.Equal((TaskState.Failed, "invalid_output"), (task.Status, task.Error?.Code));
        Assert.Equal(1, task.Usage.ApiCalls);
    }

    [Fact]
    public async Task Task_WithItsOwnOutputSchema_AsksTheProviderForItAndHoldsTheAnswerToIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = await OpenAiFake.StartAsync(ct);
        fake.Enqueue(FakeReply.WithText("""{"city": "Paris", "population": 2102650}"""));
        fake.Enqueue(FakeReply.WithText("""{"city": "Paris"}""")); // misses a required property
        await using var server = await StartAsync(fake);
        var client = server.Client;
        await CreateAgentAsync(client, new AgentRequest { Name = "plain", Provider = "openai", Model = "gpt-4o-mini" }, ct);
        using var schema = JsonDocument.Parse("""{"type":"object","required":["city","population"],"properties":{"population":{"type":"integer"}}}""");
        var request = TaskRequest("Largest city of France, as JSON.", agent: "plain") with { OutputSchema = schema.RootElement.Clone(), MaxAttempts = 1 };

        var good = await client.WaitForTaskAsync((await client.CreateTaskAsync(request, ct)).Id, Deadline, ct);
        var bad = await client.WaitForTaskAsync((await client.CreateTaskAsync(request, ct)).Id, Deadline, ct);

        Assert.Equal(TaskState.Succeeded, good.Status);
        Assert.Equal("object", good.OutputSchema!.Value.GetProperty("type").GetString());
        Assert.Equal((TaskState.Failed, "invalid_output"), (bad.Status, bad.Error?.Code));
        // The task's schema, not the agent's (it has none), went to the provider as structured output.
        Assert.All(fake.Requests, r => Assert.Equal("json_schema", r.Json!["response_format"]!["type"]!.GetValue<string>()));
        Assert.All(fake.Requests, r => Assert.Contains("population", r.Json!["response_format"]!.ToJsonString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Task_Allowed10000Tokens_WhoseAgentWouldUse50000_EndsTokenLimitExceededAndCallsNoMore()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = await OpenAiFake.StartAsync(ct);
        // An agent that keeps calling its tool, each round reading 3,000 tokens and writing 500: 50,000 tokens in 14 rounds.
        for (var i = 0; i < 20; i++)
        {
            fake.Enqueue(FakeReply.WithToolCall("calculator", """{"expression":"1+1"}""", $"call_{i}") with { InputTokens = 3_000, OutputTokens = 500 });
        }
        await using var server = await StartAsync(fake);
        var client = server.Client;
        await CreateAgentAsync(client, new AgentRequest
        {
            Name = "spender",
            Provider = "openai",
            Tools = new AgentTools { Allowed = ["calculator"], MaxSteps = 64 },
        }, ct);

        var created = await client.CreateTaskAsync(TaskRequest("Add forever.", agent: "spender") with { Limits = new TaskLimits { TokenLimit = 10_000 } }, ct);
        var task = await client.WaitForTaskAsync(created.Id, Deadline, ct);
        var calls = fake.RequestCount;

        Assert.Equal((TaskState.Failed, "token_limit_exceeded"), (task.Status, task.Error?.Code));
        // Each call reserves its prompt plus 1,024 output tokens; the overshoot is bounded by one reservation.
        Assert.InRange(task.Usage.InputTokens + task.Usage.OutputTokens, 7_000, 10_000 + 1_024 + 3_000);
        Assert.Equal(calls, task.Usage.ApiCalls);
        await client.WaitForIdleAsync(Deadline, ct);
        Assert.Equal(calls, fake.RequestCount); // flat after the cap: no retry, no further call
    }

    [Fact]
    public async Task ToolCall_HeldByAPolicy_WaitsForApprovalThenRunsOnceApproved()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = await OpenAiFake.StartAsync(ct);
        fake.Enqueue(FakeReply.WithToolCall("calculator", """{"expression":"6*7"}"""));
        await using var server = await StartAsync(fake, new Dictionary<string, string?>
        {
            ["Apex:Approvals:Policies:0:Agent"] = "careful",
            ["Apex:Approvals:Policies:0:Tools:0"] = "calculator",
            ["Apex:Approvals:Policies:0:Risk"] = "high",
        });
        var client = server.Client;
        await CreateAgentAsync(client, new AgentRequest { Name = "careful", Provider = "openai", Tools = new AgentTools { Allowed = ["calculator"] } }, ct);

        var created = await client.CreateTaskAsync(TaskRequest("What is six times seven?", agent: "careful"), ct);
        var waiting = await client.WaitForTaskAsync(created.Id, new HashSet<TaskState> { TaskState.AwaitingApproval }, Deadline, ct);
        using var listed = await client.GetAsync("/api/v1/approvals?status=pending", ct);
        var approval = Assert.Single((await listed.ReadAsync(ApexJsonContext.Default.PageApprovalResponse, ct)).Items);

        Assert.Equal(TaskState.AwaitingApproval, waiting.Status);
        Assert.Equal((created.Id, "calculator", "high"), (approval.TaskId, approval.Tool, approval.Risk));
        Assert.Equal(1, fake.RequestCount); // the model asked; the tool did not run and nothing else was sent

        // The next attempt asks for the same call again: the approval covers exactly that tool and those arguments, once.
        fake.Enqueue(FakeReply.WithToolCall("calculator", """{"expression":"6*7"}""", "call_again"));
        fake.Enqueue(FakeReply.WithText("The answer is 42."));
        using var approved = await client.PostAsync($"/api/v1/approvals/{approval.Id}/approve", null, ct);
        approved.EnsureSuccessStatusCode();
        var done = await client.WaitForTaskAsync(created.Id, Deadline, ct);

        Assert.Equal((TaskState.Succeeded, "The answer is 42."), (done.Status, done.Output));
        Assert.Contains("42", fake.Requests[^1].Body, StringComparison.Ordinal);
        using var after = await client.GetAsync($"/api/v1/approvals/{approval.Id}", ct);
        Assert.Equal(ApprovalState.Used, (await after.ReadAsync(ApexJsonContext.Default.ApprovalResponse, ct)).Status);
    }

    private static Task<BackendServer> StartAsync(OpenAiFake fake, IReadOnlyDictionary<string, string?>? more = null) =>
        new EmbeddedBackend().StartAsync(new Dictionary<string, string?>(more ?? new Dictionary<string, string?>())
        {
            ["OPENAI_BASE_URL"] = fake.BaseUrl,
            ["OPENAI_API_KEY"] = ApiKey,
        });

    private static async Task CreateAgentAsync(HttpClient client, AgentRequest request, CancellationToken cancellationToken)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/agents", request, ApexJsonContext.Default.AgentRequest, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    private static Guid TaskOf(SseItem<string> item)
    {
        using var data = JsonDocument.Parse(item.Data);
        return data.RootElement.GetProperty("aggregate_id").GetGuid();
    }

    private static string Text(SseItem<string> item)
    {
        using var data = JsonDocument.Parse(item.Data);
        return data.RootElement.GetProperty("data").GetProperty("text").GetString()!;
    }

    private static async Task<List<SseItem<string>>> ReadDagStreamAsync(HttpClient client, Guid dagId, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Deadline);
        using var response = await client.GetAsync($"/api/v1/dags/{dagId}/stream", HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync(deadline.Token);
        var items = new List<SseItem<string>>();
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(deadline.Token))
        {
            items.Add(item);
        }
        return items;
    }
}
