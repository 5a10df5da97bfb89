namespace Apex.Core.Tenants;

/// <summary>What a tenant holds now, counted against its quotas.</summary>
/// <param name="Queued">Tasks pending or queued.</param>
/// <param name="Running">Tasks running.</param>
/// <param name="CostTodayUsd">US dollars of LLM calls recorded since the given UTC midnight.</param>
public readonly record struct TenantUsage(long Queued, long Running, decimal CostTodayUsd);
