using Apex.Contracts.Tasks;
using Apex.Core.Tasks;
using Xunit;

namespace Apex.Core.Tests.Tasks;

public sealed class LimitPresetsTests
{
    [Fact]
    public void Resolve_NothingSet_ReturnsMedium()
    {
        Assert.Equal(LimitPresets.Medium, LimitPresets.Resolve(null));
        Assert.Equal(LimitPresets.Medium, LimitPresets.Resolve(new TaskLimits(), new TaskLimits()));
    }

    [Fact]
    public void Resolve_TaskAndFallbackBothSet_TaskWins()
    {
        var task = new TaskLimits { TokenLimit = 1, CostLimit = 0.01m, TimeLimitSeconds = 2, ApiCallLimit = 3 };

        var resolved = LimitPresets.Resolve(task, LimitPresets.Complex);

        Assert.Equal(task, resolved);
    }

    [Fact]
    public void Resolve_TaskPartlySet_FillsGapsFromFallbackThenMedium()
    {
        var task = new TaskLimits { TokenLimit = 1_000 };
        var fallback = new TaskLimits { TokenLimit = 9_999, CostLimit = 1.5m };

        var resolved = LimitPresets.Resolve(task, fallback);

        Assert.Equal(
            new TaskLimits { TokenLimit = 1_000, CostLimit = 1.5m, TimeLimitSeconds = 300, ApiCallLimit = 50 },
            resolved);
    }

    [Fact]
    public void Resolve_FallbackOnly_FillsFromFallbackThenMedium()
    {
        var resolved = LimitPresets.Resolve(null, new TaskLimits { TimeLimitSeconds = 900 });

        Assert.Equal(LimitPresets.Medium with { TimeLimitSeconds = 900 }, resolved);
    }
}
