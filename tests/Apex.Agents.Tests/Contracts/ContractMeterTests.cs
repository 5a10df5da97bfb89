using Apex.Agents.Contracts;
using Apex.Agents.Pricing;
using Apex.Agents.Runtime;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Microsoft.Extensions.Options;
using Xunit;

namespace Apex.Agents.Tests.Contracts;

public sealed class ContractMeterTests
{
    // gpt-4o: $2.50 in, $10 out per million tokens, so this call reserves 2,000 tokens and $0.0125.
    private static readonly CallEstimate Call = new(InputTokens: 1_000, MaxOutputTokens: 1_000, ModelId: "gpt-4o");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static ContractMeter Meter(TaskLimits limits, UsageDelta? consumed = null, List<ContractWarning>? warnings = null, SharedBudget? shared = null) =>
        new(limits, consumed ?? UsageDelta.None, "gpt-4o", new PricingOptions(), new ContractOptions(),
            warnings is null ? null : (warning, _) =>
            {
                warnings.Add(warning);
                return ValueTask.CompletedTask;
            },
            shared);

    [Fact]
    public async Task Settle_AfterACall_RecordsWhatTheProviderReported()
    {
        var meter = Meter(new TaskLimits { TokenLimit = 10_000 });

        var reservation = await meter.ReserveAsync(Call, Ct);
        await meter.SettleAsync(reservation, inputTokens: 800, outputTokens: 300, Ct);

        Assert.Equal(new UsageDelta(800, 300, 0.005m, 1), meter.Usage);
    }

    [Fact]
    public async Task Reserve_MoreTokensThanLeft_ThrowsTokenLimitExceededWithoutReserving()
    {
        var meter = Meter(new TaskLimits { TokenLimit = 3_000 });
        await meter.ReserveAsync(Call, Ct);

        var e = await Assert.ThrowsAsync<ContractViolationException>(() => meter.ReserveAsync(Call, Ct).AsTask());

        Assert.Equal("token_limit_exceeded", e.Code);
        Assert.False(e.Retryable);
        Assert.False(e.SharedBudget);
        Assert.IsAssignableFrom<AgentExecutionException>(e);
        Assert.Equal(0, meter.Usage.ApiCalls);
    }

    [Fact]
    public async Task Reserve_MoreCostThanLeft_ThrowsCostLimitExceeded()
    {
        var meter = Meter(new TaskLimits { CostLimit = 0.02m });
        await meter.SettleAsync(await meter.ReserveAsync(Call, Ct), 1_000, 1_000, Ct);

        var e = await Assert.ThrowsAsync<ContractViolationException>(() => meter.ReserveAsync(Call, Ct).AsTask());

        Assert.Equal("cost_limit_exceeded", e.Code);
        Assert.Equal(0.0125m, meter.Usage.CostUsd);
    }

    [Fact]
    public async Task Reserve_NoCallLeft_ThrowsApiCallLimitExceeded()
    {
        var meter = Meter(new TaskLimits { ApiCallLimit = 2 });
        for (var i = 0; i < 2; i++)
        {
            await meter.SettleAsync(await meter.ReserveAsync(Call, Ct), 10, 10, Ct);
        }

        var e = await Assert.ThrowsAsync<ContractViolationException>(() => meter.ReserveAsync(Call, Ct).AsTask());

        Assert.Equal("api_call_limit_exceeded", e.Code);
        Assert.Equal(2, meter.Usage.ApiCalls);
    }

    [Fact]
    public async Task Reserve_EarlierAttemptsUsedMostOfTheLimit_CountsThem()
    {
        var meter = Meter(new TaskLimits { TokenLimit = 10_000 }, consumed: new UsageDelta(5_000, 4_000, 0.05m, 3));

        var e = await Assert.ThrowsAsync<ContractViolationException>(() => meter.ReserveAsync(Call, Ct).AsTask());

        Assert.Equal("token_limit_exceeded", e.Code);
        Assert.Equal(UsageDelta.None, meter.Usage);
    }

    [Fact]
    public async Task Reserve_AfterAViolation_RefusesEvenACallThatWouldFit()
    {
        var meter = Meter(new TaskLimits { TokenLimit = 1_500 });
        await Assert.ThrowsAsync<ContractViolationException>(() => meter.ReserveAsync(Call, Ct).AsTask());

        var small = await Assert.ThrowsAsync<ContractViolationException>(() => meter.ReserveAsync(new CallEstimate(10, 10, "gpt-4o"), Ct).AsTask());

        Assert.Same(meter.Violation, small);
    }

    [Fact]
    public async Task Settle_ProviderUsedMoreThanReserved_RecordsItAndOvershootsByAtMostOneReservation()
    {
        var meter = Meter(new TaskLimits { TokenLimit = 10_000 });
        var reservedPerCall = Call.InputTokens + Call.MaxOutputTokens;

        var calls = 0;
        var violation = await Assert.ThrowsAsync<ContractViolationException>(async () =>
        {
            while (true)
            {
                var reservation = await meter.ReserveAsync(Call, Ct);
                calls++;
                // The provider ignored the output cap and used twice what was reserved.
                await meter.SettleAsync(reservation, 1_000, 3_000, Ct);
            }
        });

        var used = meter.Usage.InputTokens + meter.Usage.OutputTokens;
        Assert.Equal("token_limit_exceeded", violation.Code);
        Assert.Equal(3, calls);
        Assert.Equal(12_000, used);
        Assert.InRange(used - 10_000, 1, reservedPerCall);
    }

    [Fact]
    public async Task Settle_CrossingSeventyAndNinetyPercent_WarnsOnceEach()
    {
        var warnings = new List<ContractWarning>();
        var meter = Meter(new TaskLimits { TokenLimit = 10_000 }, warnings: warnings);

        await meter.SettleAsync(await meter.ReserveAsync(Call, Ct), 6_000, 1_000, Ct);
        await meter.SettleAsync(await meter.ReserveAsync(new CallEstimate(100, 100, "gpt-4o"), Ct), 100, 100, Ct);
        await meter.SettleAsync(await meter.ReserveAsync(Call, Ct), 1_000, 800, Ct);
        await meter.SettleAsync(await meter.ReserveAsync(new CallEstimate(100, 100, "gpt-4o"), Ct), 10, 10, Ct);

        Assert.Equal(
            [new ContractWarning(ContractDimension.Tokens, 70, 7_000, 10_000), new ContractWarning(ContractDimension.Tokens, 90, 9_000, 10_000)],
            warnings);
    }

    [Fact]
    public async Task Settle_JumpingPastBothThresholds_WarnsBothForEveryLimitedDimension()
    {
        var warnings = new List<ContractWarning>();
        var meter = Meter(new TaskLimits { TokenLimit = 2_000, ApiCallLimit = 1 }, warnings: warnings);

        await meter.SettleAsync(await meter.ReserveAsync(Call, Ct), 1_000, 900, Ct);

        Assert.Equal(
            [
                new ContractWarning(ContractDimension.Tokens, 70, 1_900, 2_000),
                new ContractWarning(ContractDimension.Tokens, 90, 1_900, 2_000),
                new ContractWarning(ContractDimension.ApiCalls, 70, 1, 1),
                new ContractWarning(ContractDimension.ApiCalls, 90, 1, 1),
            ],
            warnings);
    }

    [Fact]
    public async Task Settle_ThresholdAlreadyCrossedByEarlierAttempts_IsNotRepeated()
    {
        var warnings = new List<ContractWarning>();
        var meter = Meter(new TaskLimits { TokenLimit = 10_000 }, consumed: new UsageDelta(5_000, 2_500, 0m, 2), warnings: warnings);

        await meter.SettleAsync(await meter.ReserveAsync(new CallEstimate(100, 100, "gpt-4o"), Ct), 100, 100, Ct);
        await meter.SettleAsync(await meter.ReserveAsync(Call, Ct), 1_000, 600, Ct);

        Assert.Equal([new ContractWarning(ContractDimension.Tokens, 90, 9_300, 10_000)], warnings);
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 0)]
    public async Task Release_FailedCall_FreesTheReservationAndCountsTheCallOnlyIfSent(bool sent, int calls)
    {
        var meter = Meter(new TaskLimits { TokenLimit = 2_000 });

        await meter.ReleaseAsync(await meter.ReserveAsync(Call, Ct), sent, Ct);
        var again = await meter.ReserveAsync(Call, Ct);

        Assert.Equal(new UsageDelta(0, 0, 0m, calls), meter.Usage);
        Assert.NotNull(again);
    }

    [Fact]
    public async Task Settle_TheSameReservationTwice_Throws()
    {
        var meter = Meter(new TaskLimits());
        var reservation = await meter.ReserveAsync(Call, Ct);
        await meter.SettleAsync(reservation, 1, 1, Ct);

        await Assert.ThrowsAsync<InvalidOperationException>(() => meter.SettleAsync(reservation, 1, 1, Ct).AsTask());
    }

    [Fact]
    public async Task Reserve_SharedBudgetRefuses_ThrowsSharedViolationAndKeepsNothingReserved()
    {
        var ledger = NewLedger();
        var dag = new SharedBudget(ledger, "dag:1", new TaskLimits { TokenLimit = 3_000 }, new UsageDelta(400, 100, 0m, 1));
        var meter = Meter(new TaskLimits(), shared: dag);
        var first = await meter.ReserveAsync(Call, Ct);

        var e = await Assert.ThrowsAsync<ContractViolationException>(() => meter.ReserveAsync(Call, Ct).AsTask());
        await meter.SettleAsync(first, 700, 300, Ct);

        Assert.Equal("token_limit_exceeded", e.Code);
        Assert.True(e.SharedBudget);
        Assert.Equal(new BudgetUsage(new BudgetAmount(1_500, 4_750_000, 2), BudgetAmount.Zero), await ledger.GetAsync("dag:1", Ct));
        await Assert.ThrowsAsync<ContractViolationException>(() => meter.ReserveAsync(new CallEstimate(1, 1, "gpt-4o"), Ct).AsTask());
    }

    [Fact]
    public async Task Settle_TasksTakingTheirDagAcrossAThreshold_WarnOncePerDagAndThreshold()
    {
        var ledger = NewLedger();
        var dag = new SharedBudget(ledger, "dag:w", new TaskLimits { TokenLimit = 10_000 }, UsageDelta.None);
        var warnings = new List<ContractWarning>();
        // Four tasks of the DAG, 2,000 tokens a call: the third call takes the DAG to 6,000, the fourth to 8,000 (70 %),
        // the fifth to 10,000 (90 % and past). Each task has its own, larger limit, so only the DAG's thresholds fire.
        var meters = Enumerable.Range(0, 4).Select(_ => Meter(new TaskLimits { TokenLimit = 100_000 }, warnings: warnings, shared: dag)).ToList();

        foreach (var meter in meters.Append(meters[0]))
        {
            await meter.SettleAsync(await meter.ReserveAsync(new CallEstimate(500, 500, "gpt-4o"), Ct), 1_000, 1_000, Ct);
        }

        Assert.Equal(
            [
                new ContractWarning(ContractDimension.Tokens, 70, 8_000, 10_000, SharedBudget: true),
                new ContractWarning(ContractDimension.Tokens, 90, 10_000, 10_000, SharedBudget: true),
            ],
            warnings);
    }

    internal static InProcessBudgetLedger NewLedger(TimeProvider? time = null) =>
        new(Options.Create(new ContractOptions()), time ?? TimeProvider.System);
}
