using System.Security.Claims;
using Apex.Core;
using Apex.Core.Security;

namespace Apex.Server.Security;

/// <summary>The claims of an authenticated caller, whatever the credential.</summary>
internal static class ApexClaims
{
    public const string Role = "apex:role";

    public const string Tenant = "apex:tenant";

    public const string Name = "apex:name";

    public const string KeyId = "apex:key_id";

    /// <summary>
    /// The caller's tenant: the one of its key or token, or <see cref="Tenancy.DefaultTenant"/> for a caller of an open
    /// server. Every object route reads and writes this tenant's rows only.
    /// </summary>
    public static string TenantId(this ClaimsPrincipal user) => user.FindFirst(Tenant)?.Value ?? Tenancy.DefaultTenant;

    /// <summary>
    /// A platform admin: an admin of the <see cref="Tenancy.DefaultTenant"/> (the bootstrap key is one; so is every caller of
    /// an open server). Only a platform admin acts on other tenants (creates their keys).
    /// </summary>
    public static bool IsPlatformAdmin(this ClaimsPrincipal user) =>
        user.TenantId() == Tenancy.DefaultTenant && (user.Identity?.IsAuthenticated != true || user.HasClaim(Role, ApexRoles.Admin));

    /// <summary>A principal of the Apex shape.</summary>
    public static ClaimsPrincipal Principal(string authenticationType, string name, string tenant, IEnumerable<string> roles, string? keyId = null)
    {
        var claims = new List<Claim> { new(Name, name), new(Tenant, tenant) };
        claims.AddRange(roles.Select(r => new Claim(Role, r)));
        if (keyId is not null)
        {
            claims.Add(new Claim(KeyId, keyId));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType, Name, Role));
    }
}
