using Apex.Agents.Contracts;
using Apex.Agents.Pricing;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Redis.Budgets;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Xunit;

namespace Apex.Redis.Tests.Budgets;

public sealed class RedisBudgetLedgerTests
{
    private static readonly TaskLimits Limits = new() { TokenLimit = 1_000, CostLimit = 1m, ApiCallLimit = 10 };

    private static CancellationToken Ct => RedisTestContext.Token;

    [Fact]
    public async Task TryReserve_FirstTouch_StartsFromTheSeedAndExpiresAfterTheTtl()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var ledger = NewLedger(ctx.Redis, ctx);

        var granted = await ledger.TryReserveAsync("dag:a", Limits, new BudgetAmount(300, 5, 1), new BudgetAmount(600, 10, 2), Ct);
        var refused = await ledger.TryReserveAsync("dag:a", Limits, new BudgetAmount(101, 0, 1), new BudgetAmount(999, 0, 0), Ct);

        Assert.True(granted.Granted);
        Assert.Equal(ContractDimension.Tokens, refused.Exceeded);
        Assert.Equal(new BudgetUsage(new BudgetAmount(600, 10, 2), new BudgetAmount(300, 5, 1)), refused.Usage);
        Assert.Equal(refused.Usage, await ledger.GetAsync("dag:a", Ct));
        Assert.InRange((await ctx.Db.KeyTimeToLiveAsync(ctx.Key("budget:dag:a")))!.Value, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
    }

    [Theory]
    [InlineData(0, 1_000_000_001, 0, ContractDimension.Cost)]
    [InlineData(0, 0, 11, ContractDimension.ApiCalls)]
    [InlineData(1_001, 0, 0, ContractDimension.Tokens)]
    public async Task TryReserve_BeyondALimit_NamesItAndReservesNothing(long tokens, long nanos, long calls, ContractDimension dimension)
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var ledger = NewLedger(ctx.Redis, ctx);

        var result = await ledger.TryReserveAsync("dag:b", Limits, new BudgetAmount(tokens, nanos, calls), BudgetAmount.Zero, Ct);

        Assert.Equal(dimension, result.Exceeded);
        Assert.Equal(new BudgetUsage(BudgetAmount.Zero, BudgetAmount.Zero), await ledger.GetAsync("dag:b", Ct));
    }

    [Fact]
    public async Task TryReserve_DagWithoutLimits_AlwaysGrants()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var ledger = NewLedger(ctx.Redis, ctx);

        var result = await ledger.TryReserveAsync("dag:free", new TaskLimits(), new BudgetAmount(long.MaxValue / 4, 1, 1), BudgetAmount.Zero, Ct);

        Assert.True(result.Granted);
    }

    [Fact]
    public async Task Settle_ReleasesTheReservationAndAddsTheActualUsage()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var ledger = NewLedger(ctx.Redis, ctx);
        var reserved = new BudgetAmount(500, 50, 1);
        await ledger.TryReserveAsync("dag:c", Limits, reserved, BudgetAmount.Zero, Ct);

        var after = await ledger.SettleAsync("dag:c", reserved, new BudgetAmount(700, 70, 1), BudgetAmount.Zero, Ct);

        Assert.Equal(new BudgetAmount(700, 70, 1), after);
        Assert.Equal(new BudgetUsage(new BudgetAmount(700, 70, 1), BudgetAmount.Zero), await ledger.GetAsync("dag:c", Ct));
        Assert.Null(await ledger.GetAsync("dag:unknown", Ct));
    }

    [Fact]
    public async Task Settle_BudgetExpiredMeanwhile_SeedsItAgainWithoutANegativeReservation()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var ledger = NewLedger(ctx.Redis, ctx);

        var after = await ledger.SettleAsync("dag:d", new BudgetAmount(500, 50, 1), new BudgetAmount(400, 40, 1), new BudgetAmount(100, 10, 3), Ct);

        Assert.Equal(new BudgetAmount(500, 50, 4), after);
        Assert.Equal(new BudgetUsage(new BudgetAmount(500, 50, 4), BudgetAmount.Zero), await ledger.GetAsync("dag:d", Ct));
    }

    [Fact]
    public async Task FiftyConcurrentTasks_OnTwoWorkers_OverspendAtMostOneReservationAndCallNoMoreAfterTheCap()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var ledgers = new[] { NewLedger(ctx.Redis, ctx), NewLedger(await ctx.ConnectOtherAsync(), ctx) };
        const long tokenLimit = 100_000;
        var model = new BigUsageChatClient();
        var dag = new TaskLimits { TokenLimit = tokenLimit };
        List<ChatMessage> prompt = [new(ChatRole.User, new string('p', 400))];
        var options = new ChatOptions { ModelId = "gpt-4o", MaxOutputTokens = 1_000 };
        var meters = Enumerable.Range(0, 50)
            .Select(i => new ContractMeter(new TaskLimits(), UsageDelta.None, "gpt-4o", new PricingOptions(), new ContractOptions(),
                shared: new SharedBudget(ledgers[i % 2], "dag:shared", dag, UsageDelta.None)))
            .ToList();

        var violations = await Task.WhenAll(meters.Select(meter => Task.Run(async () =>
        {
            using var client = new MeteredChatClient(model, meter);
            try
            {
                // A ledger that never refuses would let the task run forever.
                for (var call = 0; call < 1_000; call++)
                {
                    await client.GetResponseAsync(prompt, options, Ct);
                }
            }
            catch (ContractViolationException e)
            {
                return e;
            }
            return null;
        }, Ct)));
        var callsAtCap = model.Calls;
        foreach (var meter in meters)
        {
            using var client = new MeteredChatClient(model, meter);
            await Assert.ThrowsAsync<ContractViolationException>(() => client.GetResponseAsync(prompt, options, Ct));
        }

        var budget = (await ledgers[0].GetAsync("dag:shared", Ct))!.Value;
        var estimate = CallEstimate.Of(prompt, options, "gpt-4o", 1024);
        var reservation = estimate.InputTokens + estimate.MaxOutputTokens;
        Assert.All(violations, e => Assert.Equal(("token_limit_exceeded", true), (e?.Code, e?.SharedBudget)));
        Assert.InRange(budget.Used.Tokens, tokenLimit - (50 * reservation), tokenLimit + reservation);
        Assert.Equal(BudgetAmount.Zero, budget.Reserved);
        Assert.Equal(callsAtCap, (int)budget.Used.Calls);
        Assert.Equal(callsAtCap, model.Calls);
        Assert.Equal(meters.Sum(m => m.Usage.InputTokens + m.Usage.OutputTokens), budget.Used.Tokens);
    }

    [Fact]
    public void AddApexRedis_AfterAnInProcessLedger_ReplacesIt()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IBudgetLedger, InProcessBudgetLedger>();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = "localhost:1" }).Build();

        services.AddApexRedis(configuration);

        Assert.Equal(typeof(RedisBudgetLedger), Assert.Single(services, d => d.ServiceType == typeof(IBudgetLedger)).ImplementationType);
    }

    private static RedisBudgetLedger NewLedger(IConnectionMultiplexer redis, RedisTestContext ctx) =>
        new(redis, Options.Create(ctx.Options), Options.Create(new ContractOptions { SharedBudgetTtl = TimeSpan.FromHours(1) }));
}
