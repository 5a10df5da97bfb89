namespace Apex.Core.Tenants;

/// <summary>A tenant's stored state and quota overrides. A tenant without a row is active with the default quotas.</summary>
public sealed record TenantRecord
{
    /// <summary>Tenant id (<see cref="Tenancy.IsValid"/>).</summary>
    public required string TenantId { get; init; }

    /// <summary>Whether its keys and tokens authenticate.</summary>
    public required TenantState State { get; init; }

    /// <summary>Overrides of the default quotas (null fields: the default).</summary>
    public required TenantQuotas Quotas { get; init; }

    /// <summary>When the row was first written.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the row was last changed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The row of a tenant that has none: active, no override.</summary>
    public static TenantRecord Default(string tenantId) => new()
    {
        TenantId = tenantId,
        State = TenantState.Active,
        Quotas = TenantQuotas.None,
        CreatedAt = DateTimeOffset.UnixEpoch,
        UpdatedAt = DateTimeOffset.UnixEpoch,
    };
}
