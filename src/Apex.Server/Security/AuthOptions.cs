using Apex.Core.Security;

namespace Apex.Server.Security;

/// <summary>Authentication settings (configuration section <c>Apex:Auth</c>); docs/security.md.</summary>
public sealed class AuthOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Auth";

    /// <summary>When a credential is required (default <see cref="AuthMode.Auto"/>).</summary>
    public AuthMode Mode { get; set; } = AuthMode.Auto;

    /// <summary>
    /// An admin key of the default tenant that exists only in configuration (never in the store), for the first
    /// <c>apex keys create</c>: a key of the <c>apex_…</c> shape, made with <c>apex keys generate</c>. Kept as its hash.
    /// </summary>
    public string? BootstrapAdminKey { get; set; }

    /// <summary>
    /// Optional server secret: keys are stored as HMAC-SHA-256 with it instead of SHA-256, so a copy of the database
    /// alone cannot confirm a key. Changing it invalidates every stored key.
    /// </summary>
    public string? KeyPepper { get; set; }

    /// <summary>
    /// How long a key looked up is reused by this server (default 30 s): the longest a revocation can take to reach
    /// another API server when its Redis notification is lost (it normally arrives within milliseconds).
    /// </summary>
    public TimeSpan KeyCacheTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the keys' <c>last_used_at</c> are written (default 1 min): at most one write per key per interval.</summary>
    public TimeSpan LastUsedInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Optional OIDC / JWT bearer tokens.</summary>
    public JwtOptions Jwt { get; set; } = new();

    /// <summary>The bootstrap key's prefix; null when there is none.</summary>
    internal string? BootstrapPrefix => ApiKeyFormat.TryParse(BootstrapAdminKey, out var prefix) ? prefix : null;
}

/// <summary>JWT bearer settings (<c>Apex:Auth:Jwt</c>); on when <see cref="Authority"/> or <see cref="SigningKey"/> is set.</summary>
public sealed class JwtOptions
{
    /// <summary>OIDC issuer URL: signing keys (and the issuer) come from its discovery document.</summary>
    public string? Authority { get; set; }

    /// <summary>Expected <c>iss</c>; required with <see cref="SigningKey"/>, else taken from the authority's metadata.</summary>
    public string? Issuer { get; set; }

    /// <summary>Expected <c>aud</c> (required).</summary>
    public string? Audience { get; set; }

    /// <summary>A shared HS256 key (base64, at least 32 bytes) instead of an authority: for tests and simple set-ups.</summary>
    public string? SigningKey { get; set; }

    /// <summary>The claim whose values are Apex role names (default <c>roles</c>); other values are ignored.</summary>
    public string RolesClaim { get; set; } = "roles";

    /// <summary>The claim that names the tenant (default <c>apex_tenant</c>).</summary>
    public string TenantClaim { get; set; } = "apex_tenant";

    /// <summary>The tenant of a token without the tenant claim; null (default): such a token is refused.</summary>
    public string? DefaultTenant { get; set; }

    /// <summary>Tolerance on <c>exp</c> and <c>nbf</c> (default 1 min).</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Whether the authority must be https (default true).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Whether tokens are accepted at all.</summary>
    internal bool Enabled => !string.IsNullOrWhiteSpace(Authority) || !string.IsNullOrWhiteSpace(SigningKey);
}
