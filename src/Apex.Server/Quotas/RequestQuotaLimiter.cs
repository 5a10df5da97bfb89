using System.Threading.RateLimiting;
using Apex.Engine.Tenants;
using Apex.Server.Security;
using Microsoft.Extensions.Options;

namespace Apex.Server.Quotas;

/// <summary>
/// The requests/s quotas of a request's key and of its tenant, as the global limiter of ASP.NET Core's rate limiting
/// middleware. A request that no limit applies to is granted at once, without a store or Redis round trip. Otherwise the
/// key's bucket is taken first, then the tenant's; a refusal names the quota that refused.
/// </summary>
internal sealed class RequestQuotaLimiter : PartitionedRateLimiter<HttpContext>
{
    /// <summary>The problem code of a refused request.</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>Metadata of a refused lease: the quota that refused.</summary>
    public static readonly MetadataName<string> Quota = MetadataName.Create<string>("APEX_QUOTA");

    private static readonly RequestBucket None = new("", "", 0, 0);

    private readonly TenantDirectory _tenants;
    private readonly AuthState _auth;
    private readonly IOptions<QuotaOptions> _options;
    private readonly PartitionedRateLimiter<HttpContext> _keys;
    private readonly PartitionedRateLimiter<HttpContext> _tenantBuckets;

    public RequestQuotaLimiter(TenantDirectory tenants, AuthState auth, IRequestBuckets buckets, IOptions<QuotaOptions> options)
    {
        _tenants = tenants;
        _auth = auth;
        _options = options;
        _keys = PartitionedRateLimiter.Create<HttpContext, RequestBucket>(c => Partition(KeyBucket(c), buckets));
        _tenantBuckets = PartitionedRateLimiter.Create<HttpContext, RequestBucket>(c => Partition(TenantBucket(c), buckets));
    }

    public override RateLimiterStatistics? GetStatistics(HttpContext resource) => null;

    protected override RateLimitLease AttemptAcquireCore(HttpContext resource, int permitCount) =>
        KeyBucket(resource) is null && TenantBucket(resource) is null ? QuotaLease.Granted : QuotaLease.Pending;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(HttpContext resource, int permitCount, CancellationToken cancellationToken)
    {
        using var key = await _keys.AcquireAsync(resource, permitCount, cancellationToken);
        if (!key.IsAcquired)
        {
            return QuotaLease.Refused(key, "key_requests_per_second");
        }
        using var tenant = await _tenantBuckets.AcquireAsync(resource, permitCount, cancellationToken);
        return tenant.IsAcquired ? QuotaLease.Granted : QuotaLease.Refused(tenant, "tenant_requests_per_second");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _keys.Dispose();
            _tenantBuckets.Dispose();
        }
        base.Dispose(disposing);
    }

    private static RateLimitPartition<RequestBucket> Partition(RequestBucket? bucket, IRequestBuckets buckets) =>
        bucket is { } b ? RateLimitPartition.Get(b, buckets.Create) : RateLimitPartition.GetNoLimiter(None);

    private RequestBucket? KeyBucket(HttpContext context)
    {
        var settings = _options.Value;
        if (settings.KeyRequestsPerSecond <= 0 || TenantOf(context) is not { } tenant)
        {
            return null;
        }
        var id = context.User.FindFirst(ApexClaims.KeyId)?.Value ?? string.Concat(tenant, "/", context.User.FindFirst(ApexClaims.Name)?.Value);
        return RequestBucket.Of(RequestBucket.KeyScope, id, settings.KeyRequestsPerSecond, settings.KeyRequestBurst);
    }

    private RequestBucket? TenantBucket(HttpContext context)
    {
        if (TenantOf(context) is not { } tenant)
        {
            return null;
        }
        var quotas = _tenants.Quotas(tenant);
        return quotas.RequestsPerSecond is { } perSecond ? RequestBucket.Of(RequestBucket.TenantScope, tenant, perSecond, quotas.RequestBurst ?? 0) : null;
    }

    /// <summary>The caller's tenant; null for a request without a caller (an anonymous route of a server that requires credentials).</summary>
    private string? TenantOf(HttpContext context) =>
        context.User.Identity?.IsAuthenticated == true || _auth.IsOpen ? context.User.TenantId() : null;
}
