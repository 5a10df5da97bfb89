using Apex.Core.Tasks;
using Xunit;

namespace Apex.Core.Tests.Tasks;

public sealed class RetryPolicyTests
{
    [Fact]
    public void DelayAfter_SuccessiveAttempts_DoublesFromBaseDelay()
    {
        var policy = new RetryPolicy { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromHours(1), Jitter = 0 };

        var delays = Enumerable.Range(1, 6).Select(attempt => policy.DelayAfter(attempt, 0.5).TotalSeconds);

        Assert.Equal([1, 2, 4, 8, 16, 32], delays);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(31)]
    [InlineData(1_000)]
    [InlineData(int.MaxValue)]
    public void DelayAfter_NominalBeyondMaxDelay_CappedAtMaxDelay(int attempt)
    {
        var policy = new RetryPolicy { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(32), Jitter = 0 };

        Assert.Equal(TimeSpan.FromSeconds(32), policy.DelayAfter(attempt, 0.5));
    }

    [Theory]
    [InlineData(3, 4)]
    [InlineData(50, 32)]
    public void DelayAfter_RandomZero_ShortensNominalByJitter(int attempt, double nominalSeconds)
    {
        var policy = new RetryPolicy { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(32), Jitter = 0.25 };

        Assert.Equal(TimeSpan.FromSeconds(nominalSeconds * 0.75), policy.DelayAfter(attempt, 0));
    }

    [Fact]
    public void DelayAfter_RandomJustBelowOne_LengthensNominalByJitter()
    {
        var policy = new RetryPolicy { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(32), Jitter = 0.25 };

        var delay = policy.DelayAfter(3, Math.BitDecrement(1.0));

        var upper = TimeSpan.FromSeconds(4 * 1.25);
        Assert.InRange(delay, upper - TimeSpan.FromMilliseconds(1), upper);
    }

    [Fact]
    public void DelayAfter_JitterAboveMaxDelay_NeverExceedsMaxDelay()
    {
        var policy = new RetryPolicy { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(32), Jitter = 0.25 };

        Assert.Equal(TimeSpan.FromSeconds(32), policy.DelayAfter(50, Math.BitDecrement(1.0)));
    }

    [Fact]
    public void DelayAfter_AnyRandomInUnitInterval_StaysWithinJitterBounds()
    {
        var policy = new RetryPolicy { BaseDelay = TimeSpan.FromMilliseconds(250), MaxDelay = TimeSpan.FromSeconds(10), Jitter = 0.5 };
        var random = new Random(42);

        for (var i = 0; i < 1_000; i++)
        {
            var attempt = random.Next(1, 12);
            var nominal = Math.Min(250 * Math.Pow(2, attempt - 1), 10_000);

            var delay = policy.DelayAfter(attempt, random.NextDouble()).TotalMilliseconds;

            Assert.InRange(delay, nominal * 0.5, Math.Min(nominal * 1.5, 10_000));
        }
    }

    [Fact]
    public void DelayAfter_JitterZero_IgnoresRandom()
    {
        var policy = new RetryPolicy { Jitter = 0 };

        var delays = new[] { 0, 0.3, 0.5, Math.BitDecrement(1.0) }.Select(r => policy.DelayAfter(4, r)).Distinct();

        Assert.Equal([TimeSpan.FromSeconds(8)], delays);
    }
}
