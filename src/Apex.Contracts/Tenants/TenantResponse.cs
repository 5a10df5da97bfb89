namespace Apex.Contracts.Tenants;

/// <summary>A tenant: its state, quotas and (when read one at a time) current usage.</summary>
public sealed record TenantResponse
{
    /// <summary>Tenant id.</summary>
    public required string Tenant { get; init; }

    /// <summary><c>active</c> or <c>suspended</c> (every request with its keys or tokens gets 401).</summary>
    public required string State { get; init; }

    /// <summary>The quotas in force: the overrides over the defaults; a missing value is unlimited.</summary>
    public required TenantQuotaValues Quotas { get; init; }

    /// <summary>The tenant's own overrides; a missing value takes the default, 0 is unlimited.</summary>
    public required TenantQuotaValues Overrides { get; init; }

    /// <summary>Current usage; only in the answer about one tenant.</summary>
    public TenantUsageResponse? Usage { get; init; }

    /// <summary>When its state or quotas last changed; missing when they never did.</summary>
    public DateTimeOffset? UpdatedAt { get; init; }
}
