using System.Security.Claims;
using Apex.Core;
using Apex.Core.Security;
using Apex.Engine.Tenants;
using Apex.Server.Audit;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Apex.Server.Security;

/// <summary>
/// JWT bearer validation from <c>Apex:Auth:Jwt</c>: signature (never <c>alg=none</c>), issuer, audience and lifetime are
/// all required; the token's roles and tenant claims become the Apex claims. A suspended tenant's tokens are refused.
/// </summary>
internal sealed class JwtSetup(IOptions<AuthOptions> options) : IConfigureNamedOptions<JwtBearerOptions>
{
    public void Configure(string? name, JwtBearerOptions bearer)
    {
        if (name != ApexAuthentication.JwtScheme)
        {
            return;
        }
        var jwt = options.Value.Jwt;
        bearer.MapInboundClaims = false;
        bearer.RequireHttpsMetadata = jwt.RequireHttpsMetadata;
        if (!string.IsNullOrWhiteSpace(jwt.Authority))
        {
            bearer.Authority = jwt.Authority;
        }
        bearer.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidIssuer = jwt.Issuer,
            ValidateAudience = true,
            ValidAudience = jwt.Audience,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = jwt.ClockSkew,
            IssuerSigningKey = string.IsNullOrWhiteSpace(jwt.SigningKey) ? null : new SymmetricSecurityKey(Convert.FromBase64String(jwt.SigningKey)),
        };
        bearer.Events = new JwtBearerEvents
        {
            OnMessageReceived = context =>
            {
                context.Token = ApexAuthentication.Credential(context.HttpContext);
                return Task.CompletedTask;
            },
            OnTokenValidated = context =>
            {
                if (Map(context.Principal!, jwt, out var failure) is not { } principal)
                {
                    RecordFailure(context.HttpContext, failure!);
                    context.Fail(failure!);
                }
                else if (context.HttpContext.RequestServices.GetRequiredService<TenantDirectory>().IsSuspended(principal.TenantId()))
                {
                    RecordFailure(context.HttpContext, "JWT: the tenant is suspended");
                    context.Fail("The token's tenant is suspended.");
                }
                else
                {
                    context.Principal = principal;
                }
                return Task.CompletedTask;
            },
            OnAuthenticationFailed = context =>
            {
                RecordFailure(context.HttpContext, Reason(context.Exception));
                return Task.CompletedTask;
            },
        };
    }

    public void Configure(JwtBearerOptions options) => Configure(Options.DefaultName, options);

    /// <summary>A refused token, in the audit log: its claims are not trusted, so the actor is anonymous and the tenant the default.</summary>
    private static void RecordFailure(HttpContext context, string reason) =>
        context.RequestServices.GetRequiredService<AuditTrail>()
            .Record(context, AuditActions.AuthFailed, AuditOutcomes.Failure, AuditTarget.Of(context), $"JWT: {reason}", Tenancy.DefaultTenant, "anonymous");

    /// <summary>Why validation refused a token, in a few words (the exception's message may quote the token's claims).</summary>
    private static string Reason(Exception exception) => exception switch
    {
        SecurityTokenExpiredException => "expired",
        SecurityTokenNotYetValidException => "not yet valid",
        SecurityTokenInvalidIssuerException => "wrong issuer",
        SecurityTokenInvalidAudienceException => "wrong audience",
        SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "bad or missing signature",
        SecurityTokenNoExpirationException => "no expiry",
        SecurityTokenMalformedException => "malformed",
        _ => "invalid token",
    };

    /// <summary>The Apex principal of a validated token; null (with the reason) when its tenant is missing, ambiguous or malformed.</summary>
    internal static ClaimsPrincipal? Map(ClaimsPrincipal token, JwtOptions jwt, out string? failure)
    {
        var tenants = token.FindAll(jwt.TenantClaim).Select(c => c.Value).Distinct(StringComparer.Ordinal).ToList();
        var tenant = tenants.Count switch
        {
            0 => jwt.DefaultTenant,
            1 => tenants[0],
            _ => null,
        };
        if (tenant is null || !Tenancy.IsValid(tenant))
        {
            failure = tenants.Count > 1 ? "The token names several tenants." : tenant is null ? "The token names no tenant." : "The token's tenant is malformed.";
            return null;
        }
        var roles = token.FindAll(jwt.RolesClaim)
            .SelectMany(c => c.Value.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries))
            .Select(ApexRoles.Find).OfType<string>().Distinct();
        var name = token.FindFirst("sub")?.Value ?? token.FindFirst("client_id")?.Value ?? "jwt";
        failure = null;
        return ApexClaims.Principal(ApexAuthentication.JwtScheme, name, tenant, roles);
    }
}
