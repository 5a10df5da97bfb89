using System.Globalization;
using System.Threading.RateLimiting;
using Apex.Server.Quotas;
using Apex.Server.Tenants;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The requests/s quotas of keys and tenants (ASP.NET Core rate limiting) and the tenants API's services; docs/quotas.md.</summary>
internal static class QuotaServiceCollectionExtensions
{
    /// <summary>Buckets in memory, or in Redis shared by every API server when <paramref name="distributed"/>.</summary>
    public static IServiceCollection AddApexQuotas(this IServiceCollection services, bool distributed)
    {
        if (distributed)
        {
            services.TryAddSingleton<IRequestBuckets, RedisRequestBuckets>();
        }
        else
        {
            services.TryAddSingleton<IRequestBuckets, LocalRequestBuckets>();
        }
        services.TryAddSingleton<RequestQuotaLimiter>();
        services.TryAddSingleton<TenantChanges>();
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = RejectAsync;
        });
        services.AddOptions<RateLimiterOptions>().Configure<RequestQuotaLimiter>((o, limiter) => o.GlobalLimiter = limiter);
        return services;
    }

    /// <summary>Applies the quotas to every request mapped after it, once its caller is known (call it after authorization).</summary>
    public static WebApplication UseApexQuotas(this WebApplication app)
    {
        app.UseRateLimiter();
        return app;
    }

    private static ValueTask RejectAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var quota = context.Lease.TryGetMetadata(RequestQuotaLimiter.Quota, out var name) ? name : "requests_per_second";
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var http = context.HttpContext;
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status429TooManyRequests,
            Title = "Too many requests.",
            Detail = $"Over the quota {quota}; retry after the time in Retry-After (docs/quotas.md).",
            Type = $"https://apex.dev/problems/{RequestQuotaLimiter.RateLimited}",
        };
        problem.Extensions["code"] = RequestQuotaLimiter.RateLimited;
        problem.Extensions["quota"] = quota;
        return http.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem });
    }
}
