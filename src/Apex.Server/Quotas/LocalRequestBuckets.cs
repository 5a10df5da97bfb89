using System.Threading.RateLimiting;

namespace Apex.Server.Quotas;

/// <summary>
/// Embedded mode: <see cref="TokenBucketRateLimiter"/>s in memory, refilled by the partitioned limiter's timer (every
/// 100 ms), so a bucket gains about a tenth of its rate per step (at least one token).
/// </summary>
internal sealed class LocalRequestBuckets : IRequestBuckets
{
    public RateLimiter Create(RequestBucket bucket)
    {
        var perStep = Math.Max(1, (int)Math.Round(bucket.PerSecond / 10));
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = bucket.Size,
            TokensPerPeriod = perStep,
            ReplenishmentPeriod = TimeSpan.FromSeconds(perStep / bucket.PerSecond),
            QueueLimit = 0,
            AutoReplenishment = false,
        });
    }
}
