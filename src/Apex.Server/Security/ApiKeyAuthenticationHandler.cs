using System.Globalization;
using System.Text.Encodings.Web;
using Apex.Core;
using Apex.Core.Security;
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
            return AuthenticateResult.Fail("The credential is not an Apex API key.");
        }
        if (bootstrap.Prefix == prefix)
        {
            return hasher.Matches(credential, bootstrap.Hash)
                ? Success(ApexClaims.Principal(Scheme.Name, "bootstrap", Tenancy.DefaultTenant, [ApexRoles.Admin]))
                : AuthenticateResult.Fail("Wrong secret for the bootstrap key.");
        }
        var key = await keys.FindAsync(store, prefix, Context.RequestAborted);
        if (!key.Exists || !hasher.Matches(credential, key.Hash))
        {
            return AuthenticateResult.Fail("Unknown key or wrong secret.");
        }
        if (key.Revoked)
        {
            return AuthenticateResult.Fail("The key is revoked.");
        }
        if (key.ExpiresAt <= time.GetUtcNow())
        {
            return AuthenticateResult.Fail("The key has expired.");
        }
        if (tenants.IsSuspended(key.Tenant))
        {
            return AuthenticateResult.Fail("The key's tenant is suspended.");
        }
        usage.Record(key.Id);
        return Success(ApexClaims.Principal(Scheme.Name, key.Name, key.Tenant, key.Roles, key.Id.ToString("D", CultureInfo.InvariantCulture)));
    }

    private AuthenticateResult Success(System.Security.Claims.ClaimsPrincipal principal) =>
        AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
}
