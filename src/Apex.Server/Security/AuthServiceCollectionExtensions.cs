using Apex.Core.Security;
using Apex.Server.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Authentication (API keys, optional JWT) and authorization (a policy per route) of the API host; docs/security.md.</summary>
internal static class AuthServiceCollectionExtensions
{
    public static WebApplicationBuilder AddApexAuth(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var settings = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section)
            .Validate(o => o.BootstrapAdminKey is null || o.BootstrapPrefix is not null,
                "Apex:Auth:BootstrapAdminKey must be a key of the apex_<prefix>_<secret> shape: make one with `apex keys generate`.")
            .Validate(o => o.KeyCacheTtl > TimeSpan.Zero && o.LastUsedInterval >= TimeSpan.FromSeconds(1),
                "Apex:Auth:KeyCacheTtl must be positive and LastUsedInterval at least 1 s.")
            .Validate(o => !o.Jwt.Enabled || !string.IsNullOrWhiteSpace(o.Jwt.Audience),
                "Apex:Auth:Jwt:Audience is required when Apex:Auth:Jwt is configured.")
            .Validate(o => string.IsNullOrWhiteSpace(o.Jwt.SigningKey) || (!string.IsNullOrWhiteSpace(o.Jwt.Issuer) && SigningKeyBytes(o.Jwt.SigningKey) >= 32),
                "Apex:Auth:Jwt:SigningKey must be base64 of at least 32 bytes, and needs Apex:Auth:Jwt:Issuer.")
            .Validate(o => o.Jwt.DefaultTenant is null || Apex.Core.Tenancy.IsValid(o.Jwt.DefaultTenant),
                "Apex:Auth:Jwt:DefaultTenant must be 1–64 of a-z, 0-9, '_' and '-'.")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<AuthState>();
        services.AddSingleton<ApiKeyHasher>();
        services.AddSingleton<BootstrapKey>();
        services.AddSingleton<ApiKeyCache>();
        services.AddSingleton<ApiKeyUsage>();
        services.AddHostedService<ApiKeyUsageWriter>();
        services.AddHostedService<AuthStartup>();

        var jwt = settings.Jwt.Enabled;
        var authentication = services.AddAuthentication()
            .AddPolicyScheme(ApexAuthentication.Scheme, "Apex", o =>
                o.ForwardDefaultSelector = context => ApexAuthentication.SchemeFor(ApexAuthentication.Credential(context), jwt))
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApexAuthentication.ApiKeyScheme, null);
        if (jwt)
        {
            services.AddSingleton<IConfigureOptions<JwtBearerOptions>, JwtSetup>();
            authentication.AddJwtBearer(ApexAuthentication.JwtScheme, _ => { });
        }
        services.AddAuthorization(ApexPolicies.Add);
        services.AddSingleton<IPolicyEvaluator, ApexPolicyEvaluator>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AuthProblems>();
        return builder;
    }

    /// <summary>Authenticates and authorizes every request mapped after it (call it before the WebSocket middleware).</summary>
    public static WebApplication UseApexAuth(this WebApplication app)
    {
        // An open server has nothing a credential could match (a key, the bootstrap key or JWT would have closed it), so
        // its requests skip the authentication handler instead of building one to find nothing.
        var state = app.Services.GetRequiredService<AuthState>();
        app.UseWhen(_ => !state.IsOpen, authenticated => authenticated.UseAuthentication());
        app.UseAuthorization();
        return app;
    }

    /// <summary>Lets this endpoint also take its credential from the URL or the WebSocket subprotocol (browsers cannot set headers there).</summary>
    public static TBuilder AcceptUrlCredential<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(UrlCredentialMetadata.Instance);

    private static int SigningKeyBytes(string key)
    {
        var buffer = new byte[key.Length];
        return Convert.TryFromBase64String(key, buffer, out var written) ? written : 0;
    }
}
