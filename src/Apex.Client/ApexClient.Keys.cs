using Apex.Contracts;
using Apex.Contracts.Common;
using Apex.Contracts.Keys;

namespace Apex.Client;

public sealed partial class ApexClient
{
    /// <summary>
    /// Creates an API key in the caller's tenant (<c>POST /api/v1/admin/keys</c>; admin role). The answer's
    /// <see cref="CreatedApiKeyResponse.Key"/> is the only time the whole key is shown.
    /// </summary>
    /// <param name="request">Name, roles and optional expiry.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="ApexApiException">With 422 when the name or roles are invalid, 403 when the caller is not an admin.</exception>
    public Task<CreatedApiKeyResponse> CreateApiKeyAsync(CreateApiKeyRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "api/v1/admin/keys", request, ApexJsonContext.Default.CreateApiKeyRequest,
            ApexJsonContext.Default.CreatedApiKeyResponse, null, cancellationToken);

    /// <summary>Lists the tenant's API keys, newest first, revoked ones included, never their secrets (<c>GET /api/v1/admin/keys</c>).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<Page<ApiKeyResponse>> ListApiKeysAsync(CancellationToken cancellationToken = default) =>
        GetAsync("api/v1/admin/keys", ApexJsonContext.Default.PageApiKeyResponse, cancellationToken);

    /// <summary>Revokes an API key (<c>POST /api/v1/admin/keys/{id}/revoke</c>); revoking twice keeps the first time.</summary>
    /// <param name="keyId">The key's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="ApexApiException">With 404 when the tenant has no such key.</exception>
    public async Task<ApiKeyResponse> RevokeApiKeyAsync(Guid keyId, CancellationToken cancellationToken = default) =>
        await PostActionAsync($"api/v1/admin/keys/{Id(keyId)}/revoke", ApexJsonContext.Default.ApiKeyResponse, cancellationToken)
        ?? throw new System.Text.Json.JsonException("The revocation answered with no body.");
}
