using Apex.Core.Dags;
using Apex.Agents.Contracts;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Microsoft.Extensions.AI;
using Xunit;

namespace Apex.Agents.Tests.Contracts;

public sealed class InProcessBudgetLedgerTests
{
    private static readonly TaskLimits Limits = new() { TokenLimit = 1_000, CostLimit = 1m, ApiCallLimit = 10 };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TryReserve_FirstTouch_StartsFromTheSeed()
    {
        var ledger = ContractMeterTests.NewLedger();

        var granted = await ledger.TryReserveAsync("dag:a", Limits, new BudgetAmount(300, 5, 1), new BudgetAmount(600, 10, 2), Ct);
        var refused = await ledger.TryReserveAsync("dag:a", Limits, new BudgetAmount(101, 0, 1), new BudgetAmount(999, 0, 0), Ct);

        Assert.True(granted.Granted);
        Assert.Equal(ContractDimension.Tokens, refused.Exceeded);
        Assert.Equal(new BudgetUsage(new BudgetAmount(600, 10, 2), new BudgetAmount(300, 5, 1)), refused.Usage);
    }

    [Fact]
    public async Task Settle_ReleasesTheReservationAndAddsTheActualUsage()
    {
        var ledger = ContractMeterTests.NewLedger();
        var reserved = new BudgetAmount(500, 50, 1);
        await ledger.TryReserveAsync("dag:b", Limits, reserved, BudgetAmount.Zero, Ct);

        await ledger.SettleAsync("dag:b", reserved, new BudgetAmount(700, 70, 1), BudgetAmount.Zero, Ct);

        Assert.Equal(new BudgetUsage(new BudgetAmount(700, 70, 1), BudgetAmount.Zero), await ledger.GetAsync("dag:b", Ct));
        Assert.Null(await ledger.GetAsync("dag:unknown", Ct));
    }

    [Fact]
    public async Task Budget_UnusedForItsTtl_IsForgottenAndSeededAgain()
    {
        var time = new ManualTime();
        var ledger = ContractMeterTests.NewLedger(time);
        await ledger.SettleAsync("dag:old", BudgetAmount.Zero, new BudgetAmount(100, 0, 1), BudgetAmount.Zero, Ct);

        time.Now += new ContractOptions().SharedBudgetTtl;
        await ledger.TryReserveAsync("dag:other", Limits, BudgetAmount.Zero, BudgetAmount.Zero, Ct);

        Assert.Null(await ledger.GetAsync("dag:old", Ct));
        Assert.NotNull(await ledger.GetAsync("dag:other", Ct));
    }

    [Fact]
    public async Task FiftyConcurrentTasks_DrawingOnOneDagBudget_OverspendAtMostOneReservationAndCallNoMoreAfterTheCap()
    {
        var ledger = ContractMeterTests.NewLedger();

        var outcome = await SharedBudgetScenario.RunAsync(_ => ledger, Ct);

        Assert.All(outcome.Violations, e => Assert.Equal(("token_limit_exceeded", true), (e?.Code, e?.SharedBudget)));
        Assert.InRange(outcome.Used.Tokens, SharedBudgetScenario.TokenLimit - (50 * outcome.Reservation), SharedBudgetScenario.TokenLimit + outcome.Reservation);
        Assert.Equal(BudgetAmount.Zero, outcome.Reserved);
        Assert.Equal(outcome.CallsAtCap, outcome.CallsAfterRetrying);
        Assert.Equal(outcome.CallsAtCap, (int)outcome.Used.Calls);
    }

    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
