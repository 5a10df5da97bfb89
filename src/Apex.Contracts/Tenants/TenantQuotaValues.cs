namespace Apex.Contracts.Tenants;

/// <summary>
/// A tenant's quotas. In <c>PUT /api/v1/admin/tenants/{tenant}/quotas</c> and in <see cref="TenantResponse.Overrides"/>
/// a missing value means "the default from settings" and 0 means unlimited; in <see cref="TenantResponse.Quotas"/>
/// (the quotas in force) a missing value means unlimited.
/// </summary>
public sealed record TenantQuotaValues
{
    /// <summary>Requests a second, all the tenant's keys and tokens together.</summary>
    public double? RequestsPerSecond { get; init; }

    /// <summary>Requests the tenant may make at once above its rate.</summary>
    public int? RequestBurst { get; init; }

    /// <summary>Tasks pending or queued at once; a submission beyond it gets 429.</summary>
    public int? QueuedTasks { get; init; }

    /// <summary>Tasks running at once; the others wait, queued.</summary>
    public int? ConcurrentRuns { get; init; }

    /// <summary>US dollars of LLM calls per UTC day; submissions get 429 once reached.</summary>
    public decimal? CostPerDayUsd { get; init; }
}
