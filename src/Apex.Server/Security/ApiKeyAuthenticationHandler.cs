using System.Globalization;
using System.Text.Encodings.Web;
using Apex.Core;
using Apex.Core.Security;
using Apex.Server.Audit;
using Apex.Engine.Tenants;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Apex.Server.Security;

/// <summary>
/// Authenticates <c>apex_&lt;prefix&gt;_&lt;secret&gt;</c> keys: the bootstrap key from configuration, else one cache lookup by
/// prefix and a constant-time comparison of hashes; a suspended tenant's keys are refused like bad ones. The reason of a failure is logged, never the credential.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyCache keys,
    IApiKeyStore store,
    ApiKeyHasher hasher,
    ApiKeyUsage usage,
    BootstrapKey bootstrap,
    AuditTrail audit,
    TenantDirectory tenants,
    TimeProvider time) : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var credential = ApexAuthentication.Credential(Context);
        if (credential is null)
        {
            return AuthenticateResult.NoResult();
        }
        if (!ApiKeyFormat.TryParse(credential, out var prefix))
        {
            return Fail("The credential is not an Apex API key.", "anonymous", Tenancy.DefaultTenant);
        }
        if (bootstrap.Prefix == prefix)
        {
            return hasher.Matches(credential, bootstrap.Hash)
                ? Success(ApexClaims.Principal(Scheme.Name, "bootstrap", Tenancy.DefaultTenant, [ApexRoles.Admin]))
                : Fail("Wrong secret for the bootstrap key.", "bootstrap", Tenancy.DefaultTenant);
        }
        var key = await keys.FindAsync(store, prefix, Context.RequestAborted);
        if (!key.Exists)
        {
            return Fail($"Unknown key (prefix {prefix}).", "anonymous", Tenancy.DefaultTenant);
        }
        var actor = $"key:{key.Id:D}";
        if (!hasher.Matches(credential, key.Hash))
        {
            return Fail("Wrong secret.", actor, key.Tenant);
        }
        if (key.Revoked)
        {
            return Fail("The key is revoked.", actor, key.Tenant);
        }
        if (key.ExpiresAt <= time.GetUtcNow())
        {
            return Fail("The key has expired.", actor, key.Tenant);
        }
        if (tenants.IsSuspended(key.Tenant))
        {
            return Fail("The key's tenant is suspended.", actor, key.Tenant);
        }
        usage.Record(key.Id);
        return Success(ApexClaims.Principal(Scheme.Name, key.Name, key.Tenant, key.Roles, key.Id.ToString("D", CultureInfo.InvariantCulture)));
    }

    /// <summary>
    /// A refusal, recorded in the audit log: under the key's tenant when the prefix names a key, else under the default
    /// tenant (whose admins run the server). The credential itself is never recorded, only the public prefix.
    /// </summary>
    private AuthenticateResult Fail(string reason, string actor, string tenant)
    {
        audit.Record(Context, AuditActions.AuthFailed, AuditOutcomes.Failure, AuditTarget.Of(Context), reason, tenant, actor);
        return AuthenticateResult.Fail(reason);
    }

    private AuthenticateResult Success(System.Security.Claims.ClaimsPrincipal principal) =>
        AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
}
