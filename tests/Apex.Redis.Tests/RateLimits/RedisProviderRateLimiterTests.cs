using System.Diagnostics;
using Apex.Agents.Providers;
using Apex.Agents.Runtime;
using Apex.Redis.RateLimits;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using Xunit;

namespace Apex.Redis.Tests.RateLimits;

public sealed class RedisProviderRateLimiterTests
{
    private static CancellationToken Ct => RedisTestContext.Token;

    [Fact]
    public async Task Acquire_TwoProcessesSharingRequestsPerMinute_AdmitOneBudgetBetweenThem()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var provider = new ProviderOptions { RequestsPerMinute = 20 };
        var first = Limiter(ctx.Redis, ctx, provider, TimeSpan.Zero);
        var second = Limiter(await ctx.ConnectOtherAsync(), ctx, provider, TimeSpan.Zero);
        var clock = Stopwatch.StartNew();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => TryAcquireAsync(i % 2 == 0 ? first : second, 0)));

        // A bucket of 20 refills one request every 3 s: nothing more may have been let through in the time taken.
        var admitted = outcomes.Count(o => o is null);
        Assert.InRange(admitted, 20, 20 + (int)(clock.Elapsed.TotalSeconds / 3));
        var refused = outcomes.OfType<AgentExecutionException>().ToList();
        Assert.Equal(60 - admitted, refused.Count);
        Assert.All(refused, e =>
        {
            Assert.Equal(ProviderErrorCodes.RateLimited, e.Code);
            Assert.True(e.Retryable);
            Assert.InRange(e.RetryAfter!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(3));
        });
    }

    [Fact]
    public async Task Acquire_TokensPerMinute_CountsEstimatedTokensAcrossProcesses()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var provider = new ProviderOptions { TokensPerMinute = 1_000 };
        var first = Limiter(ctx.Redis, ctx, provider, TimeSpan.Zero);
        var second = Limiter(await ctx.ConnectOtherAsync(), ctx, provider, TimeSpan.Zero);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => TryAcquireAsync(i % 2 == 0 ? first : second, 300)));

        // 3 × 300 fit in 1,000; a fourth needs 200 more, which take 12 s to refill.
        Assert.Equal(3, outcomes.Count(o => o is null));
        Assert.Null(await TryAcquireAsync(second, 100));
    }

    [Fact]
    public async Task Acquire_BudgetSpentElsewhere_WaitsTheTimeTheScriptGives()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var provider = new ProviderOptions { TokensPerMinute = 60_000 };
        var first = Limiter(ctx.Redis, ctx, provider, TimeSpan.FromSeconds(10));
        var second = Limiter(await ctx.ConnectOtherAsync(), ctx, provider, TimeSpan.FromSeconds(10));
        await first.AcquireAsync("p", 60_000, Ct);

        var clock = Stopwatch.StartNew();
        await second.AcquireAsync("p", 300, Ct);

        // 1,000 tokens a second refill: 300 take 300 ms.
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Acquire_PromptLargerThanTheMinute_IsChargedOneFullBucket()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var limiter = Limiter(ctx.Redis, ctx, new ProviderOptions { TokensPerMinute = 1_000 }, TimeSpan.Zero);

        await limiter.AcquireAsync("p", 50_000, Ct);

        Assert.IsType<RateLimitRefusedException>(await TryAcquireAsync(limiter, 100));
    }

    [Fact]
    public async Task Acquire_ProviderWithoutLimits_TouchesNoKey()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var limiter = Limiter(ctx.Redis, ctx, new ProviderOptions(), TimeSpan.Zero);

        for (var i = 0; i < 100; i++)
        {
            await limiter.AcquireAsync("p", 1_000_000, Ct);
        }

        Assert.False(await ctx.Db.KeyExistsAsync(limiter.Key("p")));
    }

    [Fact]
    public async Task Acquire_RedisUnreachable_LetsTheCallThrough()
    {
        var options = ConfigurationOptions.Parse("127.0.0.1:1");
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 100;
        options.AsyncTimeout = 100;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        await using var unreachable = await ConnectionMultiplexer.ConnectAsync(options);
        var limiter = Limiter(unreachable, null, new ProviderOptions { RequestsPerMinute = 1 }, TimeSpan.Zero);

        await limiter.AcquireAsync("p", 10, Ct);
        await limiter.AcquireAsync("p", 10, Ct);
    }

    private static async Task<Exception?> TryAcquireAsync(RedisProviderRateLimiter limiter, int tokens)
    {
        try
        {
            await limiter.AcquireAsync("p", tokens, Ct);
            return null;
        }
        catch (AgentExecutionException e)
        {
            return e;
        }
    }

    private static RedisProviderRateLimiter Limiter(IConnectionMultiplexer redis, RedisTestContext? ctx, ProviderOptions provider, TimeSpan maxWait) =>
        new(redis,
            Microsoft.Extensions.Options.Options.Create(ctx?.Options ?? new RedisOptions()),
            Microsoft.Extensions.Options.Options.Create(new RateLimitOptions { MaxWait = maxWait }),
            Microsoft.Extensions.Options.Options.Create(new ProvidersOptions { Items = new(StringComparer.OrdinalIgnoreCase) { ["P"] = provider } }),
            TimeProvider.System,
            NullLogger<RedisProviderRateLimiter>.Instance);
}
