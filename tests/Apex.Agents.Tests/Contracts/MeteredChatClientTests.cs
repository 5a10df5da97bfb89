using System.Net.Http;
using Apex.Agents.Contracts;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Microsoft.Extensions.AI;
using Xunit;

namespace Apex.Agents.Tests.Contracts;

public sealed class MeteredChatClientTests
{
    private static readonly AIFunction Lookup = AIFunctionFactory.Create((int round) => $"result {round}", "lookup", "Looks something up.");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetResponse_UnderFunctionInvocation_MetersEveryToolRound()
    {
        var model = new CountingChatClient(toolRounds: 3);
        var meter = ContractMeterTests.Meter(new TaskLimits { TokenLimit = 100_000 });
        using var agent = new FunctionInvokingChatClient(new MeteredChatClient(model, meter));

        var response = await agent.GetResponseAsync([new(ChatRole.User, "Find it.")], Options(maxOutput: 100), Ct);

        Assert.Equal("done", response.Text);
        Assert.Equal(4, model.Calls);
        Assert.Equal(4, meter.Usage.ApiCalls);
        Assert.Equal(response.Usage!.InputTokenCount, meter.Usage.InputTokens);
        Assert.Equal(400, meter.Usage.OutputTokens);
    }

    [Fact]
    public async Task GetResponse_TaskAllowed10000TokensWhoseAgentWouldUse50000_EndsTokenLimitExceededAndCallsNoMore()
    {
        var prompt = new string('x', 4_000);
        var unmetered = new CountingChatClient(toolRounds: 24);
        using var unlimited = new FunctionInvokingChatClient(unmetered) { MaximumIterationsPerRequest = 40 };
        var wanted = (await unlimited.GetResponseAsync([new(ChatRole.User, prompt)], Options(maxOutput: 1_000), Ct)).Usage!.TotalTokenCount;

        var model = new CountingChatClient(toolRounds: 24);
        var meter = ContractMeterTests.Meter(new TaskLimits { TokenLimit = 10_000 });
        using var agent = new FunctionInvokingChatClient(new MeteredChatClient(model, meter)) { MaximumIterationsPerRequest = 40 };
        var firstReservation = CallEstimate.Of([new(ChatRole.User, prompt)], Options(maxOutput: 1_000), "gpt-4o", 1024);

        var e = await Assert.ThrowsAsync<ContractViolationException>(() => agent.GetResponseAsync([new(ChatRole.User, prompt)], Options(maxOutput: 1_000), Ct));
        var callsAtViolation = model.Calls;
        await Assert.ThrowsAsync<ContractViolationException>(() => agent.GetResponseAsync([new(ChatRole.User, "one more")], Options(maxOutput: 10), Ct));
        await Assert.ThrowsAsync<ContractViolationException>(async () =>
        {
            await foreach (var update in agent.GetStreamingResponseAsync([new(ChatRole.User, "and streamed")], Options(maxOutput: 10), Ct))
            {
                Assert.Fail($"No update expected, got {update}.");
            }
        });

        Assert.True(wanted >= 50_000, $"The agent would use {wanted} tokens.");
        Assert.Equal("token_limit_exceeded", e.Code);
        Assert.InRange(meter.Usage.InputTokens + meter.Usage.OutputTokens, 1, 10_000 + firstReservation.InputTokens + firstReservation.MaxOutputTokens);
        Assert.Equal(callsAtViolation, model.Calls);
        Assert.Equal(callsAtViolation, meter.Usage.ApiCalls);
    }

    [Fact]
    public async Task GetStreamingResponse_ReadsUsageFromTheStream()
    {
        var model = new CountingChatClient();
        var meter = ContractMeterTests.Meter(new TaskLimits { TokenLimit = 10_000 });
        using var client = new MeteredChatClient(model, meter);
        var prompt = new string('y', 400);

        var text = "";
        await foreach (var update in client.GetStreamingResponseAsync([new(ChatRole.User, prompt)], Options(maxOutput: 50), Ct))
        {
            text += update.Text;
        }

        Assert.Equal("done", text);
        Assert.Equal(new UsageDelta(100, 50, 0.00075m, 1), meter.Usage);
    }

    [Fact]
    public async Task GetStreamingResponse_ConsumerStopsEarly_SettlesWhatWasReceived()
    {
        var meter = ContractMeterTests.Meter(new TaskLimits { TokenLimit = 10_000 });
        using var client = new MeteredChatClient(new CountingChatClient(), meter);

        await foreach (var update in client.GetStreamingResponseAsync([new(ChatRole.User, "hi")], Options(maxOutput: 50), Ct))
        {
            break;
        }

        Assert.Equal(1, meter.Usage.ApiCalls);
        Assert.Equal(1, meter.Usage.OutputTokens);
    }

    [Fact]
    public async Task GetResponse_ProviderReportsNoUsage_ChargesTheEstimatedInputAndTheTextReceived()
    {
        var meter = ContractMeterTests.Meter(new TaskLimits { TokenLimit = 10_000 });
        using var client = new MeteredChatClient(new CountingChatClient { ReportUsage = false }, meter);
        List<ChatMessage> messages = [new(ChatRole.User, new string('z', 400))];

        await client.GetResponseAsync(messages, Options(maxOutput: 50), Ct);

        Assert.Equal(CallEstimate.Of(messages, Options(maxOutput: 50), "gpt-4o", 1024).InputTokens, meter.Usage.InputTokens);
        Assert.Equal(1, meter.Usage.OutputTokens);
    }

    [Fact]
    public async Task GetResponse_WithoutMaxOutputTokens_ReservesTheConfiguredDefault()
    {
        var meter = ContractMeterTests.Meter(new TaskLimits { TokenLimit = 1_000 });
        using var client = new MeteredChatClient(new CountingChatClient(), meter);

        var e = await Assert.ThrowsAsync<ContractViolationException>(() => client.GetResponseAsync([new(ChatRole.User, "hi")], new ChatOptions(), Ct));

        Assert.Equal("token_limit_exceeded", e.Code);
        Assert.Equal(1024, meter.DefaultMaxOutputTokens);
    }

    [Fact]
    public async Task GetResponse_ProviderFailsAfterTheRequest_ReleasesTheTokensAndCountsTheCall()
    {
        var ledger = ContractMeterTests.NewLedger();
        var dag = new SharedBudget(ledger, "dag:f", new TaskLimits { TokenLimit = 100_000 }, UsageDelta.None);
        var meter = ContractMeterTests.Meter(new TaskLimits { TokenLimit = 10_000 }, shared: dag);
        using var client = new MeteredChatClient(new CountingChatClient { FailWith = new InvalidOperationException("HTTP 500") }, meter);

        await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetResponseAsync([new(ChatRole.User, "hi")], Options(maxOutput: 50), Ct));

        Assert.Equal(new UsageDelta(0, 0, 0m, 1), meter.Usage);
        Assert.Equal(new BudgetUsage(new BudgetAmount(0, 0, 1), BudgetAmount.Zero), await ledger.GetAsync("dag:f", Ct));
    }

    [Fact]
    public async Task GetResponse_ConnectionRefused_CountsNoCall()
    {
        var meter = ContractMeterTests.Meter(new TaskLimits { ApiCallLimit = 1 });
        using var client = new MeteredChatClient(new CountingChatClient { FailWith = new HttpRequestException(HttpRequestError.ConnectionError) }, meter);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync([new(ChatRole.User, "hi")], Options(maxOutput: 50), Ct));

        Assert.Equal(UsageDelta.None, meter.Usage);
    }

    private static ChatOptions Options(int maxOutput) => new() { ModelId = "gpt-4o", MaxOutputTokens = maxOutput, Tools = [Lookup] };
}
