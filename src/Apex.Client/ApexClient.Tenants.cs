using Apex.Contracts;
using Apex.Contracts.Common;
using Apex.Contracts.Tenants;

namespace Apex.Client;

public sealed partial class ApexClient
{
    /// <summary>
    /// A tenant's state, quotas in force and current usage (<c>GET /api/v1/admin/tenants/{tenant}</c>; admin role). A
    /// tenant's admin reads its own tenant; a platform admin (an admin of the default tenant) reads any.
    /// </summary>
    /// <param name="tenant">Tenant id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="ApexApiException">With 404 when the caller may not see the tenant.</exception>
    public Task<TenantResponse> GetTenantAsync(string tenant, CancellationToken cancellationToken = default) =>
        GetAsync($"api/v1/admin/tenants/{Uri.EscapeDataString(tenant)}", ApexJsonContext.Default.TenantResponse, cancellationToken);

    /// <summary>The tenants with a state or quota of their own (<c>GET /api/v1/admin/tenants</c>; platform admin).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<Page<TenantResponse>> ListTenantsAsync(CancellationToken cancellationToken = default) =>
        GetAsync("api/v1/admin/tenants", ApexJsonContext.Default.PageTenantResponse, cancellationToken);

    /// <summary>
    /// Replaces a tenant's quota overrides (<c>PUT /api/v1/admin/tenants/{tenant}/quotas</c>; platform admin): a missing
    /// value takes the default from settings, 0 is unlimited.
    /// </summary>
    /// <param name="tenant">Tenant id.</param>
    /// <param name="quotas">The overrides.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="ApexApiException">With 422 for a negative value, 403 when the caller is not a platform admin.</exception>
    public Task<TenantResponse> SetTenantQuotasAsync(string tenant, TenantQuotaValues quotas, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, $"api/v1/admin/tenants/{Uri.EscapeDataString(tenant)}/quotas", quotas, ApexJsonContext.Default.TenantQuotaValues,
            ApexJsonContext.Default.TenantResponse, null, cancellationToken);

    /// <summary>Suspends a tenant: its keys and tokens get 401 on every route (<c>POST /api/v1/admin/tenants/{tenant}/suspend</c>; platform admin).</summary>
    /// <param name="tenant">Tenant id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="ApexApiException">With 409 for the default tenant.</exception>
    public async Task<TenantResponse> SuspendTenantAsync(string tenant, CancellationToken cancellationToken = default) =>
        await PostActionAsync($"api/v1/admin/tenants/{Uri.EscapeDataString(tenant)}/suspend", ApexJsonContext.Default.TenantResponse, cancellationToken)
        ?? throw new System.Text.Json.JsonException("The suspension answered with no body.");

    /// <summary>Resumes a suspended tenant (<c>POST /api/v1/admin/tenants/{tenant}/resume</c>; platform admin).</summary>
    /// <param name="tenant">Tenant id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<TenantResponse> ResumeTenantAsync(string tenant, CancellationToken cancellationToken = default) =>
        await PostActionAsync($"api/v1/admin/tenants/{Uri.EscapeDataString(tenant)}/resume", ApexJsonContext.Default.TenantResponse, cancellationToken)
        ?? throw new System.Text.Json.JsonException("The resumption answered with no body.");
}
