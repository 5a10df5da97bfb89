namespace Apex.Core.Tenants;

/// <summary>
/// A tenant's quotas. As stored overrides, null means "the default from settings"; in force, null means "unlimited".
/// Zero is never stored: an override of 0 means unlimited and is stored as such (see <see cref="Unlimited"/>).
/// </summary>
public sealed record TenantQuotas
{
    /// <summary>The value an override takes to lift a default limit.</summary>
    public const double Unlimited = 0;

    /// <summary>Requests a second, refilled continuously (token bucket).</summary>
    public double? RequestsPerSecond { get; init; }

    /// <summary>Requests a tenant may make at once above its rate: the bucket's size.</summary>
    public int? RequestBurst { get; init; }

    /// <summary>Tasks not yet running and not finished (pending or queued).</summary>
    public int? QueuedTasks { get; init; }

    /// <summary>Tasks running at once; the others stay queued until one ends.</summary>
    public int? ConcurrentRuns { get; init; }

    /// <summary>US dollars spent by LLM calls since UTC midnight, above which submissions are refused.</summary>
    public decimal? CostPerDayUsd { get; init; }

    /// <summary>No override: every quota is the default.</summary>
    public static TenantQuotas None { get; } = new();

    /// <summary>These overrides over <paramref name="defaults"/>, with 0 (unlimited) turned into null.</summary>
    public TenantQuotas Over(TenantQuotas defaults) => new()
    {
        RequestsPerSecond = Limit(RequestsPerSecond ?? defaults.RequestsPerSecond),
        RequestBurst = Limit(RequestBurst ?? defaults.RequestBurst),
        QueuedTasks = Limit(QueuedTasks ?? defaults.QueuedTasks),
        ConcurrentRuns = Limit(ConcurrentRuns ?? defaults.ConcurrentRuns),
        CostPerDayUsd = Limit(CostPerDayUsd ?? defaults.CostPerDayUsd),
    };

    private static T? Limit<T>(T? value) where T : struct, System.Numerics.INumber<T> => value is { } v && v > T.Zero ? v : null;
}
