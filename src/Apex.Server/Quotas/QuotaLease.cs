using System.Threading.RateLimiting;

namespace Apex.Server.Quotas;

/// <summary>The leases of <see cref="RequestQuotaLimiter"/>: granted, not decided yet, or refused by a named quota.</summary>
internal sealed class QuotaLease(bool acquired, string? quota, TimeSpan? retryAfter) : RateLimitLease
{
    public static readonly QuotaLease Granted = new(true, null, null);

    /// <summary>Refused without a decision: the middleware goes on to the asynchronous acquisition.</summary>
    public static readonly QuotaLease Pending = new(false, null, null);

    public override bool IsAcquired => acquired;

    public override IEnumerable<string> MetadataNames =>
        [.. quota is null ? [] : new[] { RequestQuotaLimiter.Quota.Name }, .. retryAfter is null ? [] : new[] { MetadataName.RetryAfter.Name }];

    public static QuotaLease Refused(RateLimitLease refused, string quota) =>
        new(false, quota, refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : null);

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        metadata = metadataName == RequestQuotaLimiter.Quota.Name ? quota : metadataName == MetadataName.RetryAfter.Name ? retryAfter : null;
        return metadata is not null;
    }
}
