using Apex.Server.Hosting;
using Apex.Server.Live;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Hardening of the API host (docs/security.md, "Hardening"): Kestrel's limits against slow clients, CORS only for an
/// allow-list, security headers, and no developer exception page.
/// </summary>
internal static class HardeningExtensions
{
    /// <summary>Methods the API answers; a preflight for another is refused.</summary>
    private static readonly string[] CorsMethods = [HttpMethods.Get, HttpMethods.Post, HttpMethods.Put, HttpMethods.Delete];

    /// <summary>Request headers the API reads (and W3C trace context, which it continues).</summary>
    private static readonly string[] CorsHeaders = ["Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID", "traceparent", "tracestate"];

    /// <summary>Response headers a page may read besides the CORS-safelisted ones.</summary>
    private static readonly string[] CorsExposedHeaders = ["Location", "Retry-After", "WWW-Authenticate"];

    public static WebApplicationBuilder AddApexHardening(this WebApplicationBuilder builder, ApiOptions api)
    {
        builder.Services.AddOptions<ApiOptions>()
            .Validate(o => o.RequestHeadersTimeout > TimeSpan.Zero && o.KeepAliveTimeout > TimeSpan.Zero,
                "Apex:Api:RequestHeadersTimeout and KeepAliveTimeout must be positive.")
            .Validate(o => o.MinRequestBodyBytesPerSecond >= 0 && (o.MinRequestBodyBytesPerSecond == 0 || o.MinRequestBodyGracePeriod > TimeSpan.FromSeconds(1)),
                "Apex:Api:MinRequestBodyBytesPerSecond must be ≥ 0 (0 = off) and MinRequestBodyGracePeriod more than 1 s.")
            .Validate(o => o.MaxRequestHeaderCount >= 1 && o.MaxRequestHeadersTotalBytes >= 1024 && o.MaxRequestLineBytes >= 1024,
                "Apex:Api:MaxRequestHeaderCount must be positive, MaxRequestHeadersTotalBytes and MaxRequestLineBytes at least 1024.")
            .ValidateOnStart();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.RequestHeadersTimeout = api.RequestHeadersTimeout;
            k.Limits.KeepAliveTimeout = api.KeepAliveTimeout;
            k.Limits.MinRequestBodyDataRate = api.MinRequestBodyBytesPerSecond > 0 && api.MinRequestBodyGracePeriod > TimeSpan.FromSeconds(1)
                ? new MinDataRate(api.MinRequestBodyBytesPerSecond, api.MinRequestBodyGracePeriod)
                : null;
            k.Limits.MaxRequestHeaderCount = Math.Max(1, api.MaxRequestHeaderCount);
            k.Limits.MaxRequestHeadersTotalSize = Math.Max(1024, api.MaxRequestHeadersTotalBytes);
            k.Limits.MaxRequestLineSize = Math.Max(1024, api.MaxRequestLineBytes);
        });

        var cors = builder.Configuration.GetSection(CrossOriginOptions.Section).Get<CrossOriginOptions>() ?? new CrossOriginOptions();
        builder.Services.AddOptions<CrossOriginOptions>().BindConfiguration(CrossOriginOptions.Section)
            .Validate(o => o.AllowedOrigins.All(IsOrigin) && o.PreflightMaxAge >= TimeSpan.Zero,
                "Apex:Cors:AllowedOrigins must be origins such as https://ops.example.com (scheme, host and port only) or *; PreflightMaxAge ≥ 0.")
            .ValidateOnStart();
        if (cors.AllowedOrigins.Length > 0)
        {
            var origins = cors.AllowedOrigins.Select(o => o.TrimEnd('/')).ToArray();
            builder.Services.AddCors(o => o.AddDefaultPolicy(policy =>
            {
                _ = origins.Contains("*") ? policy.AllowAnyOrigin() : policy.WithOrigins(origins);
                policy.WithMethods(CorsMethods).WithHeaders(CorsHeaders).WithExposedHeaders(CorsExposedHeaders).SetPreflightMaxAge(cors.PreflightMaxAge);
            }));
            // A page allowed to call the API may open its WebSocket too: one allow-list for both (docs/security.md).
            builder.Services.PostConfigure<LiveOptions>(o => o.AllowedOrigins = [.. o.AllowedOrigins, .. origins]);
        }
        // ASP.NET Core puts its developer exception page in front of everything in Development; it would show an
        // exception that escaped the pipeline's handler (one thrown by routing) with its stack trace.
        builder.Services.AddSingleton<IDeveloperPageExceptionFilter, ProblemDeveloperPageFilter>();
        return builder;
    }

    /// <summary>Security headers on every answer, then CORS (before authentication: a preflight carries no credential).</summary>
    public static WebApplication UseApexHardening(this WebApplication app)
    {
        app.Use(SecurityHeaders.InvokeAsync);
        if (app.Configuration.GetSection(CrossOriginOptions.Section).Get<CrossOriginOptions>() is { AllowedOrigins.Length: > 0 })
        {
            app.UseCors();
        }
        return app;
    }

    private static bool IsOrigin(string origin) =>
        origin == "*" || (Uri.TryCreate(origin.TrimEnd('/'), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            && uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0);
}
