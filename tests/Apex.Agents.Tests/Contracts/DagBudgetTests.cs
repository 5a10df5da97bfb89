using Apex.Core.Dags;
using Apex.Agents.Contracts;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Core.Tasks;
using Xunit;

namespace Apex.Agents.Tests.Contracts;

public sealed class DagBudgetTests
{
    private static readonly TaskLimits Dag = new() { TokenLimit = 50_000, CostLimit = 1m, TimeLimitSeconds = 600, ApiCallLimit = 100 };

    [Fact]
    public void ResolveChild_AsksForWhatTheDagHasLeft_GetsIt()
    {
        var errors = new Dictionary<string, string[]>();
        var asked = new TaskLimits { TokenLimit = 30_000, CostLimit = 0.5m, TimeLimitSeconds = 600, ApiCallLimit = 90 };

        var limits = DagBudget.ResolveChild(Dag, new UsageDelta(10_000, 10_000, 0.5m, 10), asked, null, "tasks[0].limits", errors);

        Assert.Empty(errors);
        Assert.Equal(asked, limits);
    }

    [Fact]
    public void ResolveChild_AsksForMoreThanTheDagHasLeft_IsAnErrorPerField()
    {
        var errors = new Dictionary<string, string[]>();
        var asked = new TaskLimits { TokenLimit = 30_001, CostLimit = 0.6m, TimeLimitSeconds = 601, ApiCallLimit = 90 };

        DagBudget.ResolveChild(Dag, new UsageDelta(10_000, 10_000, 0.5m, 10), asked, null, "tasks[2].limits", errors);

        Assert.Equal(["tasks[2].limits.cost_limit", "tasks[2].limits.time_limit_seconds", "tasks[2].limits.token_limit"], errors.Keys.Order());
        Assert.Equal(["At most 30000: what the DAG has left."], errors["tasks[2].limits.token_limit"]);
    }

    [Fact]
    public void ResolveChild_LeavesLimitsUnset_GetsTheDefaultsLoweredToWhatTheDagHasLeft()
    {
        var errors = new Dictionary<string, string[]>();

        var limits = DagBudget.ResolveChild(Dag, new UsageDelta(20_000, 20_000, 0.9m, 0), null, null, "limits", errors);

        Assert.Empty(errors);
        Assert.Equal(LimitPresets.Medium with { TokenLimit = 10_000, CostLimit = 0.1m }, limits);
    }

    [Fact]
    public void ResolveChild_DagUsedUp_IsAnErrorEvenWhenNothingIsAsked()
    {
        var errors = new Dictionary<string, string[]>();

        DagBudget.ResolveChild(Dag, new UsageDelta(0, 0, 0m, 100), null, null, "limits", errors);

        Assert.Equal(["limits.api_call_limit"], errors.Keys);
    }

    [Fact]
    public void ResolveChild_DagWithoutLimits_ResolvesLikeAnyTask()
    {
        var errors = new Dictionary<string, string[]>();
        var fallback = new TaskLimits { TokenLimit = 1_000 };

        var limits = DagBudget.ResolveChild(new TaskLimits(), new UsageDelta(9, 9, 9m, 9), new TaskLimits { ApiCallLimit = 3 }, fallback, "limits", errors);

        Assert.Empty(errors);
        Assert.Equal(LimitPresets.Resolve(new TaskLimits { ApiCallLimit = 3 }, fallback), limits);
    }
}
