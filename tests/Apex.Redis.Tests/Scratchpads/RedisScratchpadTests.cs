using Apex.Agents.Tools;
using Apex.Redis.Scratchpads;
using Xunit;

namespace Apex.Redis.Tests.Scratchpads;

public sealed class RedisScratchpadTests
{
    private static CancellationToken Ct => RedisTestContext.Token;

    [Fact]
    public async Task Write_ThenReadAndList_SeesTheValuesOfThatScratchpadOnly()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var pad = Scratchpad(ctx);
        var dag = new ScratchpadScope("t1", Guid.NewGuid());
        var other = new ScratchpadScope("t2", dag.Id);

        Assert.Equal(ScratchpadWrite.Ok, await pad.WriteAsync(dag, "b", "2", Ct));
        Assert.Equal(ScratchpadWrite.Ok, await pad.WriteAsync(dag, "a", "1", Ct));
        Assert.Equal(ScratchpadWrite.Ok, await pad.WriteAsync(dag, "a", "one", Ct));

        Assert.Equal("one", await pad.ReadAsync(dag, "a", Ct));
        Assert.Equal(["a", "b"], await pad.ListAsync(dag, Ct));
        Assert.Null(await pad.ReadAsync(other, "a", Ct));
        Assert.Empty(await pad.ListAsync(other, Ct));
        Assert.Null(await pad.ReadAsync(dag, "#bytes", Ct));
    }

    [Fact]
    public async Task Write_BeyondTheBounds_IsRefusedAndOverwritesAreAccountedExactly()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var pad = Scratchpad(ctx, new ScratchpadOptions { MaxKeys = 2, MaxBytes = 20 });
        var scope = new ScratchpadScope("t1", Guid.NewGuid());

        Assert.Equal(ScratchpadWrite.Ok, await pad.WriteAsync(scope, "k1", "12345678", Ct)); // 10 bytes
        Assert.Equal(ScratchpadWrite.Ok, await pad.WriteAsync(scope, "k2", "é", Ct)); // 4 bytes: é is two
        Assert.Equal(ScratchpadWrite.TooManyKeys, await pad.WriteAsync(scope, "k3", "x", Ct));
        Assert.Equal(ScratchpadWrite.TooLarge, await pad.WriteAsync(scope, "k1", "123456789012345", Ct)); // 17 + 4 > 20
        Assert.Equal(ScratchpadWrite.Ok, await pad.WriteAsync(scope, "k1", "12345678901234", Ct)); // 16 + 4 = 20
        Assert.Equal(ScratchpadWrite.TooLarge, await pad.WriteAsync(scope, "k2", "éé", Ct));

        Assert.Equal("12345678901234", await pad.ReadAsync(scope, "k1", Ct));
    }

    [Fact]
    public async Task Write_ConcurrentlyFromManyClients_NeverExceedsMaxKeys()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var pad = Scratchpad(ctx, new ScratchpadOptions { MaxKeys = 10 });
        var scope = new ScratchpadScope("t1", Guid.NewGuid());

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => pad.WriteAsync(scope, $"k{i}", "v", Ct)));

        Assert.Equal(10, results.Count(r => r == ScratchpadWrite.Ok));
        Assert.Equal(10, (await pad.ListAsync(scope, Ct)).Count);
    }

    [Fact]
    public async Task Write_SetsTheTtlOnTheHash()
    {
        await using var ctx = await RedisTestContext.CreateAsync();
        var pad = Scratchpad(ctx, new ScratchpadOptions { Ttl = TimeSpan.FromMinutes(5) });
        var scope = new ScratchpadScope("t1", Guid.NewGuid());

        await pad.WriteAsync(scope, "k", "v", Ct);

        var ttl = await ctx.Db.KeyTimeToLiveAsync(ctx.Key($"scratch:t1:{scope.Id:D}"));
        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
    }

    private static RedisScratchpad Scratchpad(RedisTestContext ctx, ScratchpadOptions? options = null) =>
        new(ctx.Redis, Microsoft.Extensions.Options.Options.Create(ctx.Options), Microsoft.Extensions.Options.Options.Create(options ?? new ScratchpadOptions()));
}
