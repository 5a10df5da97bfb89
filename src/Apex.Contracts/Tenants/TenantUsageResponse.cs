namespace Apex.Contracts.Tenants;

/// <summary>What a tenant holds now, counted against its quotas.</summary>
public sealed record TenantUsageResponse
{
    /// <summary>Tasks pending or queued.</summary>
    public required long Queued { get; init; }

    /// <summary>Tasks running.</summary>
    public required long Running { get; init; }

    /// <summary>US dollars of LLM calls since UTC midnight.</summary>
    public required decimal CostTodayUsd { get; init; }
}
