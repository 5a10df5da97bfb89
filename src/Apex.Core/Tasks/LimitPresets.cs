using Apex.Contracts.Tasks;

namespace Apex.Core.Tasks;

/// <summary>The contract presets of the original project; <see cref="Medium"/> is the default.</summary>
public static class LimitPresets
{
    /// <summary>4,000 tokens, $0.05, 60 s, 10 calls.</summary>
    public static TaskLimits Simple { get; } = new() { TokenLimit = 4_000, CostLimit = 0.05m, TimeLimitSeconds = 60, ApiCallLimit = 10 };

    /// <summary>20,000 tokens, $0.25, 300 s, 50 calls.</summary>
    public static TaskLimits Medium { get; } = new() { TokenLimit = 20_000, CostLimit = 0.25m, TimeLimitSeconds = 300, ApiCallLimit = 50 };

    /// <summary>100,000 tokens, $2, 900 s, 200 calls.</summary>
    public static TaskLimits Complex { get; } = new() { TokenLimit = 100_000, CostLimit = 2m, TimeLimitSeconds = 900, ApiCallLimit = 200 };

    /// <summary>500,000 tokens, $10, 3,600 s, 1,000 calls.</summary>
    public static TaskLimits LongRunning { get; } = new() { TokenLimit = 500_000, CostLimit = 10m, TimeLimitSeconds = 3_600, ApiCallLimit = 1_000 };

    /// <summary>Fills the unset fields of <paramref name="limits"/> from <paramref name="fallback"/>, then from <see cref="Medium"/>.</summary>
    public static TaskLimits Resolve(TaskLimits? limits, TaskLimits? fallback = null) => new()
    {
        TokenLimit = limits?.TokenLimit ?? fallback?.TokenLimit ?? Medium.TokenLimit,
        CostLimit = limits?.CostLimit ?? fallback?.CostLimit ?? Medium.CostLimit,
        TimeLimitSeconds = limits?.TimeLimitSeconds ?? fallback?.TimeLimitSeconds ?? Medium.TimeLimitSeconds,
        ApiCallLimit = limits?.ApiCallLimit ?? fallback?.ApiCallLimit ?? Medium.ApiCallLimit,
    };
}
