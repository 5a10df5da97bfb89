using System.Security.Claims;
using Apex.Contracts.Common;
using Apex.Contracts.Keys;
using Apex.Core.Errors;
using Apex.Core.Security;
using Apex.Server.Audit;
using Apex.Server.Caching;
using Apex.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Apex.Server.Keys;

/// <summary>The <c>/api/v1/admin/keys</c> endpoints: API keys of the caller's tenant (docs/security.md).</summary>
internal static class KeysApi
{
    private const int MaxNameLength = 100;

    public static RouteGroupBuilder MapKeysApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/admin/keys").WithTags("Keys").RequireAuthorization(ApexPolicies.Admin);
        group.MapPost("/", CreateAsync).WithName("CreateApiKey").WithSummary("Create a key; the answer holds the whole key, shown this once.")
            .Audited(AuditActions.KeyCreated, static (_, result) => result is Created<CreatedApiKeyResponse> { Value.ApiKey: { } key }
                ? new AuditSubject($"key:{key.Id}", $"name {key.Name}, roles {string.Join(',', key.Roles)}", key.Tenant)
                : new AuditSubject("key"));
        group.MapGet("/", ListAsync).WithName("ListApiKeys").WithSummary("The tenant's keys, newest first, without secrets.");
        group.MapPost("/{id:guid}/revoke", RevokeAsync).WithName("RevokeApiKey")
            .WithSummary("Revoke a key: refused at once on this server, within Apex:Auth:KeyCacheTtl on the others.")
            .Audited(AuditActions.KeyRevoked, static (http, _) => new AuditSubject($"key:{http.Route()}"));
        return group;
    }

    private static async Task<Created<CreatedApiKeyResponse>> CreateAsync(CreateApiKeyRequest request, ClaimsPrincipal user, IApiKeyStore store,
        ApiKeyHasher hasher, ApiKeyCache cache, ICacheInvalidationPublisher publisher, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var errors = new Dictionary<string, string[]>();
        var name = request.Name?.Trim() ?? "";
        if (name.Length is 0 or > MaxNameLength)
        {
            errors["name"] = [$"Required, at most {MaxNameLength} characters."];
        }
        var roles = (request.Roles ?? []).Select(ApexRoles.Find).ToList();
        if (roles.Count == 0 || roles.Contains(null))
        {
            errors["roles"] = [$"One or more of: {string.Join(", ", ApexRoles.All)}."];
        }
        if (request.ExpiresAt <= now)
        {
            errors["expires_at"] = ["Must be in the future."];
        }
        var tenant = request.Tenant ?? user.TenantId();
        if (!Apex.Core.Tenancy.IsValid(tenant))
        {
            errors["tenant"] = ["1–64 of a-z, 0-9, '_' and '-', starting with a letter or digit."];
        }
        if (errors.Count > 0)
        {
            throw new ApexValidationException("invalid_api_key_request", "The key request is invalid.", errors);
        }
        if (tenant != user.TenantId() && !user.IsPlatformAdmin())
        {
            throw new ApexForbiddenException("Only an admin of the default tenant creates keys for another tenant.");
        }
        var key = ApiKeyFormat.Generate();
        _ = ApiKeyFormat.TryParse(key, out var prefix);
        var record = new ApiKeyRecord
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenant,
            Prefix = prefix,
            Hash = hasher.Hash(key),
            Name = name,
            Roles = [.. roles.OfType<string>().Distinct()],
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds()),
            ExpiresAt = request.ExpiresAt is { } expires ? DateTimeOffset.FromUnixTimeMilliseconds(expires.ToUnixTimeMilliseconds()) : null,
        };
        await store.CreateApiKeyAsync(record, cancellationToken);
        await cache.ChangedAsync(prefix);
        publisher.PublishApiKey(prefix);
        return TypedResults.Created($"/api/v1/admin/keys/{record.Id}", new CreatedApiKeyResponse { Key = key, ApiKey = ToResponse(record) });
    }

    private static async Task<Ok<Page<ApiKeyResponse>>> ListAsync(ClaimsPrincipal user, IApiKeyStore store, CancellationToken cancellationToken)
    {
        var keys = await store.ListApiKeysAsync(user.TenantId(), cancellationToken);
        return TypedResults.Ok(new Page<ApiKeyResponse>([.. keys.Select(ToResponse)], null));
    }

    private static async Task<Ok<ApiKeyResponse>> RevokeAsync(Guid id, ClaimsPrincipal user, IApiKeyStore store, ApiKeyCache cache,
        ICacheInvalidationPublisher publisher, TimeProvider time, CancellationToken cancellationToken)
    {
        var key = await store.RevokeApiKeyAsync(user.TenantId(), id, time.GetUtcNow(), cancellationToken)
            ?? throw new ApexNotFoundException("api_key", id.ToString());
        await cache.ChangedAsync(key.Prefix);
        publisher.PublishApiKey(key.Prefix);
        return TypedResults.Ok(ToResponse(key));
    }

    private static ApiKeyResponse ToResponse(ApiKeyRecord key) => new()
    {
        Id = key.Id,
        Prefix = key.Prefix,
        Name = key.Name,
        Tenant = key.TenantId,
        Roles = key.Roles,
        CreatedAt = key.CreatedAt,
        ExpiresAt = key.ExpiresAt,
        RevokedAt = key.RevokedAt,
        LastUsedAt = key.LastUsedAt,
    };
}
