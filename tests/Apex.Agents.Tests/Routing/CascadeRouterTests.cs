using System.Diagnostics.Metrics;
using Apex.Agents.Pricing;
using Apex.Agents.Routing;
using Apex.Agents.Runtime;
using Apex.Core.Events;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Apex.Agents.Tests.Routing;

public sealed class CascadeRouterTests : IDisposable
{
    private const string Mini = "gpt-4o-mini";
    private const string Haiku = "claude-3-5-haiku-latest";
    private const string Top = "gpt-4o";
    private static readonly string[] Cascade = [Mini, Haiku, Top];
    private static readonly PricingOptions Prices = new();

    private readonly ServiceProvider _services;
    private readonly CascadeRouter _router;
    private readonly List<string> _called = [];

    public CascadeRouterTests()
    {
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().Build())
            .AddSingleton<TimeProvider>(new SteppingTimeProvider())
            .AddLogging();
        services.AddOptions<PricingOptions>();
        services.AddApexCascadeRouting();
        _services = services.BuildServiceProvider();
        _router = _services.GetRequiredService<CascadeRouter>();
    }

    public void Dispose() => _services.Dispose();

    private Func<string, CancellationToken, Task<ChatResponse>> Models(params (string Model, Func<ChatResponse> Answer)[] answers) =>
        (model, _) =>
        {
            _called.Add(model);
            return Task.FromResult(answers.Single(a => a.Model == model).Answer());
        };

    private static Func<ChatResponse> Says(string text, long input = 1_000, long output = 200) => () => ScriptedChatClient.Answer(text, input, output);

    private static Func<ChatResponse> Fails(string code, bool retryable) =>
        () => throw new AgentExecutionException(code, $"{code} from the provider", retryable);

    [Fact]
    public async Task RouteAsync_CheapAnswerPasses_AcceptsItWithoutCallingDearerModels()
    {
        var result = await _router.RouteAsync(new CascadeRequest { Models = Cascade },
            Models((Mini, Says("Canberra.")), (Haiku, Says("Canberra")), (Top, Says("Canberra"))), TestContext.Current.CancellationToken);

        Assert.True(result.Accepted);
        Assert.Equal(Mini, result.Model);
        Assert.Equal("Canberra.", result.Response.Text);
        Assert.Equal([Mini], _called);
        var decision = Assert.Single(result.Decisions);
        Assert.Equal(new CascadeDecision(0, Mini, CascadeOutcomes.Accepted, ScoreReasons.Accepted, 1, Final: true,
            new UsageDelta(1_000, 200, Prices.CostOf(Mini, 1_000, 200), 1), SteppingTimeProvider.Step), decision);
    }

    [Fact]
    public async Task RouteAsync_CheapModelRefuses_EscalatesToTheNextModel()
    {
        var result = await _router.RouteAsync(new CascadeRequest { Models = Cascade },
            Models((Mini, Says("I'm sorry, but I can't help with that.")), (Haiku, Says("The treaty was signed in 1648."))),
            TestContext.Current.CancellationToken);

        Assert.True(result.Accepted);
        Assert.Equal(Haiku, result.Model);
        Assert.Equal([Mini, Haiku], _called);
        Assert.Equal([(CascadeOutcomes.Rejected, ScoreReasons.Refusal, false), (CascadeOutcomes.Accepted, ScoreReasons.Accepted, true)],
            result.Decisions.Select(d => (d.Outcome, d.Reason, d.Final)));
    }

    [Fact]
    public async Task RouteAsync_InvalidThenMismatchedJson_EscalatesUntilTheSchemaValidates()
    {
        const string schema = """{"type":"object","properties":{"total":{"type":"number"}},"required":["total"]}""";

        var result = await _router.RouteAsync(new CascadeRequest { Models = Cascade, JsonSchema = schema },
            Models((Mini, Says("{\"total\": 12.5,")), (Haiku, Says("{\"sum\": 12.5}")), (Top, Says("```json\n{\"total\": 12.5}\n```"))),
            TestContext.Current.CancellationToken);

        Assert.True(result.Accepted);
        Assert.Equal(Top, result.Model);
        Assert.Equal([ScoreReasons.InvalidJson, ScoreReasons.SchemaMismatch, ScoreReasons.Accepted], result.Decisions.Select(d => d.Reason));
    }

    [Fact]
    public async Task RouteAsync_NoAnswerPasses_StopsAtMaxModelsAndReturnsTheLastAnswerNotAccepted()
    {
        var result = await _router.RouteAsync(new CascadeRequest { Models = Cascade, MaxModels = 2 },
            Models((Mini, Says("I don't know.")), (Haiku, Says("It depends on the exchange rate.")), (Top, Says("42 EUR"))),
            TestContext.Current.CancellationToken);

        Assert.False(result.Accepted);
        Assert.Equal(Haiku, result.Model);
        Assert.Equal("It depends on the exchange rate.", result.Response.Text);
        Assert.Equal([Mini, Haiku], _called);
        Assert.Equal([false, true], result.Decisions.Select(d => d.Final));
        Assert.All(result.Decisions, d => Assert.Equal(ScoreReasons.Hedging, d.Reason));
    }

    [Fact]
    public async Task RouteAsync_OptionsMaxModels_CapsALongerList()
    {
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection([new("Apex:Routing:MaxModels", "1")]).Build())
            .AddLogging();
        services.AddOptions<PricingOptions>();
        await using var provider = services.AddApexCascadeRouting().BuildServiceProvider();

        var result = await provider.GetRequiredService<CascadeRouter>().RouteAsync(new CascadeRequest { Models = Cascade },
            Models((Mini, Says("")), (Haiku, Says("Oslo"))), TestContext.Current.CancellationToken);

        Assert.False(result.Accepted);
        Assert.Equal([Mini], _called);
        Assert.Equal(ScoreReasons.Empty, Assert.Single(result.Decisions).Reason);
    }

    [Fact]
    public async Task RouteAsync_RetryableProviderError_FailsOverToTheNextModel()
    {
        var result = await _router.RouteAsync(new CascadeRequest { Models = Cascade },
            Models((Mini, Fails("provider_circuit_open", retryable: true)), (Haiku, Says("Blue whale."))), TestContext.Current.CancellationToken);

        Assert.True(result.Accepted);
        Assert.Equal(Haiku, result.Model);
        var failed = result.Decisions[0];
        Assert.Equal((CascadeOutcomes.ProviderError, "provider_error:provider_circuit_open", false), (failed.Outcome, failed.Reason, failed.Final));
        Assert.Equal(new UsageDelta(0, 0, 0m, 1), failed.Usage);
    }

    [Fact]
    public async Task RouteAsync_LastModelFailsOver_TheEarlierAnswerIsFinal()
    {
        var result = await _router.RouteAsync(new CascadeRequest { Models = [Mini, Top] },
            Models((Mini, Says("Perhaps 1969.")), (Top, Fails("rate_limited", retryable: true))), TestContext.Current.CancellationToken);

        Assert.False(result.Accepted);
        Assert.Equal(Mini, result.Model);
        Assert.Equal([true, false], result.Decisions.Select(d => d.Final));
    }

    [Fact]
    public async Task RouteAsync_EveryModelFailsOver_ThrowsTheLastError()
    {
        var error = await Assert.ThrowsAsync<AgentExecutionException>(() => _router.RouteAsync(new CascadeRequest { Models = [Mini, Top] },
            Models((Mini, Fails("rate_limited", retryable: true)), (Top, Fails("provider_unavailable", retryable: true))),
            TestContext.Current.CancellationToken));

        Assert.Equal("provider_unavailable", error.Code);
        Assert.True(error.Retryable);
    }

    [Theory]
    [InlineData("cost_limit_exceeded", true)]
    [InlineData("token_limit_exceeded", false)]
    [InlineData("provider_error", false)]
    public async Task RouteAsync_LimitViolationOrNonRetryableError_StopsTheCascadeAndPropagates(string code, bool retryable)
    {
        var error = await Assert.ThrowsAsync<AgentExecutionException>(() => _router.RouteAsync(new CascadeRequest { Models = Cascade },
            Models((Mini, Fails(code, retryable)), (Haiku, Says("fine"))), TestContext.Current.CancellationToken));

        Assert.Equal(code, error.Code);
        Assert.Equal([Mini], _called);
    }

    [Fact]
    public async Task RouteAsync_Decisions_CarryEachCallsUsageCostAndLatency()
    {
        var result = await _router.RouteAsync(new CascadeRequest { Models = Cascade },
            Models((Mini, Says("As an AI, I cannot browse.", 800, 12)), (Haiku, Says("", 800, 0)), (Top, Says("It closes at 6 pm.", 820, 9))),
            TestContext.Current.CancellationToken);

        Assert.Equal(
            [
                new UsageDelta(800, 12, Prices.CostOf(Mini, 800, 12), 1),
                new UsageDelta(800, 0, Prices.CostOf(Haiku, 800, 0), 1),
                new UsageDelta(820, 9, Prices.CostOf(Top, 820, 9), 1),
            ],
            result.Decisions.Select(d => d.Usage));
        Assert.All(result.Decisions, d => Assert.Equal(SteppingTimeProvider.Step, d.Latency));
        var expectedCost = Prices.CostOf(Mini, 800, 12) + Prices.CostOf(Haiku, 800, 0) + Prices.CostOf(Top, 820, 9);
        Assert.Equal(new UsageDelta(2_420, 21, expectedCost, 3), result.Usage);
        Assert.Equal(0.0001272m + 0.00064m + 0.00214m, expectedCost);
    }

    [Fact]
    public async Task RouteAsync_JudgeRatesBelowThreshold_EscalatesAndReportsTheJudgesUsage()
    {
        var ratings = new Queue<string>(["0.4", "Score: 0.9"]);
        var judgeClient = new ScriptedChatClient(_ => ScriptedChatClient.Answer(ratings.Dequeue(), 300, 3));
        var request = new CascadeRequest
        {
            Models = Cascade,
            Instruction = "Summarise the memo in one sentence.",
            Judge = new ResponseJudge(judgeClient, Mini, threshold: 0.7),
        };

        var result = await _router.RouteAsync(request,
            Models((Mini, Says("A memo.")), (Haiku, Says("The memo moves the launch to May to finish security review."))),
            TestContext.Current.CancellationToken);

        Assert.True(result.Accepted);
        Assert.Equal(Haiku, result.Model);
        Assert.Equal([(ScoreReasons.JudgeBelowThreshold, 0.4), (ScoreReasons.Accepted, 0.9)], result.Decisions.Select(d => (d.Reason, d.Score)));
        var judgeUsage = new UsageDelta(300, 3, Prices.CostOf(Mini, 300, 3), 1);
        Assert.All(result.Decisions, d => Assert.Equal((Mini, judgeUsage), (d.JudgeModel, d.JudgeUsage)));
        Assert.Equal(4, result.Usage.ApiCalls);
        Assert.Contains("A memo.", judgeClient.Calls[0].Messages[^1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RouteAsync_RuleRejectedAnswer_IsNotShownToTheJudge()
    {
        var judgeClient = new ScriptedChatClient(_ => ScriptedChatClient.Answer("1", 300, 1));
        var request = new CascadeRequest { Models = Cascade, Judge = new ResponseJudge(judgeClient, Mini, 0.7) };

        var result = await _router.RouteAsync(request, Models((Mini, Says("I cannot.")), (Haiku, Says("Done."))), TestContext.Current.CancellationToken);

        Assert.Single(judgeClient.Calls);
        Assert.Null(result.Decisions[0].JudgeUsage);
    }

    [Fact]
    public async Task RouteAsync_JudgeUnavailable_EscalatesWithAJudgeError()
    {
        var judgeClient = new ScriptedChatClient(_ => throw new AgentExecutionException("rate_limited", "slow down", retryable: true));
        var request = new CascadeRequest { Models = [Mini, Top], Judge = new ResponseJudge(judgeClient, Mini, 0.7) };

        var result = await _router.RouteAsync(request, Models((Mini, Says("Done.")), (Top, Says("Done."))), TestContext.Current.CancellationToken);

        Assert.False(result.Accepted);
        Assert.Equal(["judge_error:rate_limited", "judge_error:rate_limited"], result.Decisions.Select(d => d.Reason));
    }

    [Fact]
    public async Task RouteAsync_EachDecision_IsCountedByModelAndOutcome()
    {
        var factory = _services.GetRequiredService<IMeterFactory>();
        var counted = new List<(long Value, string Model, string Outcome, string Reason)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == factory && instrument.Name == "apex.cascade.decisions")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var byName = tags.ToArray().ToDictionary(t => t.Key, t => (string)t.Value!);
            counted.Add((value, byName["model"], byName["outcome"], byName["reason"]));
        });
        listener.Start();

        await _router.RouteAsync(new CascadeRequest { Models = Cascade },
            Models((Mini, Fails("rate_limited", retryable: true)), (Haiku, Says("I'm not sure.")), (Top, Says("Yes."))),
            TestContext.Current.CancellationToken);

        Assert.Equal(
            [
                (1L, Mini, CascadeOutcomes.ProviderError, "provider_error:rate_limited"),
                (1L, Haiku, CascadeOutcomes.Rejected, ScoreReasons.Hedging),
                (1L, Top, CascadeOutcomes.Accepted, ScoreReasons.Accepted),
            ],
            counted);
    }

    [Fact]
    public async Task RouteAsync_UnparseableSchema_FailsWithoutCallingAModel()
    {
        var error = await Assert.ThrowsAsync<AgentExecutionException>(() => _router.RouteAsync(
            new CascadeRequest { Models = Cascade, JsonSchema = "{ not a schema" }, Models((Mini, Says("{}"))), TestContext.Current.CancellationToken));

        Assert.Equal("invalid_json_schema", error.Code);
        Assert.Empty(_called);
    }
}
