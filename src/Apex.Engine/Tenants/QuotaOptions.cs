using Apex.Core.Tenants;

namespace Apex.Engine.Tenants;

/// <summary>
/// The default quotas of every tenant and key, and how long their state and usage are cached (configuration section
/// <c>Apex:Quotas</c>; docs/quotas.md). 0 means unlimited; a tenant's overrides (the admin API) replace these defaults.
/// </summary>
public sealed class QuotaOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Quotas";

    /// <summary>Requests a second of a tenant, all its keys and tokens together (0: unlimited).</summary>
    public double TenantRequestsPerSecond { get; set; }

    /// <summary>The tenant's bucket: requests it may make at once above its rate (0: one second's worth).</summary>
    public int TenantRequestBurst { get; set; }

    /// <summary>Requests a second of one API key or token subject (0: unlimited).</summary>
    public double KeyRequestsPerSecond { get; set; }

    /// <summary>The key's bucket (0: one second's worth).</summary>
    public int KeyRequestBurst { get; set; }

    /// <summary>Tasks of a tenant pending or queued at once; a submission beyond it gets 429 (0: unlimited).</summary>
    public int QueuedTasks { get; set; }

    /// <summary>Tasks of a tenant running at once; the others wait, queued (0: unlimited).</summary>
    public int ConcurrentRuns { get; set; }

    /// <summary>US dollars a tenant's LLM calls may cost per UTC day; submissions are refused once reached (0: unlimited).</summary>
    public decimal CostPerDayUsd { get; set; }

    /// <summary>How long a server trusts its copy of the tenants' state and overrides when no change message reaches it.</summary>
    public TimeSpan TenantCacheTtl { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a server reuses a tenant's counted queued tasks and cost today before counting again in the store.</summary>
    public TimeSpan UsageCacheTtl { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The tenant defaults as quotas.</summary>
    public TenantQuotas Defaults() => new()
    {
        RequestsPerSecond = TenantRequestsPerSecond,
        RequestBurst = TenantRequestBurst,
        QueuedTasks = QueuedTasks,
        ConcurrentRuns = ConcurrentRuns,
        CostPerDayUsd = CostPerDayUsd,
    };
}
