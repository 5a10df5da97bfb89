using Apex.Agents.Tools;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Apex.Agents.Tests.Tools;

public sealed class InMemoryScratchpadTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Write_BeyondTheBounds_IsRefusedAndOverwritesAreAccountedExactly()
    {
        var pad = new InMemoryScratchpad(Options.Create(new ScratchpadOptions { MaxKeys = 2, MaxBytes = 20 }), TimeProvider.System);
        var scope = new ScratchpadScope("t1", Guid.NewGuid());

        Assert.Equal(ScratchpadWrite.Ok, await pad.WriteAsync(scope, "k1", "12345678", Ct));
        Assert.Equal(ScratchpadWrite.Ok, await pad.WriteAsync(scope, "k2", "é", Ct));
        Assert.Equal(ScratchpadWrite.TooManyKeys, await pad.WriteAsync(scope, "k3", "x", Ct));
        Assert.Equal(ScratchpadWrite.TooLarge, await pad.WriteAsync(scope, "k1", "123456789012345", Ct));
        Assert.Equal(ScratchpadWrite.Ok, await pad.WriteAsync(scope, "k1", "12345678901234", Ct));
        Assert.Equal(ScratchpadWrite.TooLarge, await pad.WriteAsync(scope, "k2", "éé", Ct));

        Assert.Equal("12345678901234", await pad.ReadAsync(scope, "k1", Ct));
        Assert.Equal(["k1", "k2"], await pad.ListAsync(scope, Ct));
    }

    [Fact]
    public async Task Scratchpad_UnusedForItsTtl_IsGone()
    {
        var time = new FakeTimeProvider();
        var pad = new InMemoryScratchpad(Options.Create(new ScratchpadOptions { Ttl = TimeSpan.FromHours(1) }), time);
        var old = new ScratchpadScope("t1", Guid.NewGuid());
        await pad.WriteAsync(old, "k", "v", Ct);

        time.Advance(TimeSpan.FromMinutes(59));
        var before = await pad.ReadAsync(old, "k", Ct);
        time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal("v", before);
        Assert.Null(await pad.ReadAsync(old, "k", Ct));
        Assert.Empty(await pad.ListAsync(old, Ct));
        Assert.Equal(ScratchpadWrite.Ok, await pad.WriteAsync(old, "k2", "fresh", Ct));
        Assert.Equal(["k2"], await pad.ListAsync(old, Ct));
    }
}
