namespace Apex.Core.Tenants;

/// <summary>Tenants' state and quota overrides, and the counts their quotas are checked against; implemented by each store.</summary>
public interface ITenantStore
{
    /// <summary>Every tenant with a row, by id.</summary>
    Task<IReadOnlyList<TenantRecord>> ListTenantsAsync(CancellationToken cancellationToken = default);

    /// <summary>The tenant's row; null when it has none (active, default quotas).</summary>
    Task<TenantRecord?> GetTenantAsync(string tenantId, CancellationToken cancellationToken = default);

    /// <summary>Replaces the tenant's quota overrides, creating its row (active) when it has none.</summary>
    Task<TenantRecord> SetTenantQuotasAsync(string tenantId, TenantQuotas quotas, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Sets the tenant's state, creating its row (no override) when it has none.</summary>
    Task<TenantRecord> SetTenantStateAsync(string tenantId, TenantState state, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>The tenant's pending and queued tasks, running tasks, and the cost of its LLM calls since <paramref name="since"/>.</summary>
    Task<TenantUsage> GetTenantUsageAsync(string tenantId, DateTimeOffset since, CancellationToken cancellationToken = default);
}
