using Apex.Contracts.Tenants;
using Apex.Core.Tenants;
using Apex.Engine.Tenants;
using Apex.Server.Caching;

namespace Apex.Server.Tenants;

/// <summary>Makes a tenant change written to the store take effect: here at once, on the other servers through the invalidation channel.</summary>
internal sealed class TenantChanges(TenantDirectory tenants, TenantAdmission admission, ICacheInvalidationPublisher publisher)
{
    public TenantResponse Applied(TenantRecord row)
    {
        tenants.Apply(row);
        admission.Forget(row.TenantId);
        publisher.PublishTenant(row.TenantId);
        return TenantsApi.ToResponse(row, tenants.Quotas(row.TenantId), null);
    }
}
