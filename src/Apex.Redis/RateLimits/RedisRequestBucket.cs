using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Apex.Redis.RateLimits;

/// <summary>
/// A token bucket of requests shared by every API server through one Redis hash (<see cref="RequestBucketScripts.Take"/>,
/// one round trip). It cannot answer without that round trip, so <see cref="AttemptAcquireCore"/> refuses without a
/// lease's retry time and the ASP.NET Core rate limiting middleware goes on to <see cref="AcquireAsyncCore"/>. When Redis
/// cannot be reached the request goes through (logged once per outage): a quota must not turn an outage into errors.
/// </summary>
public sealed class RedisRequestBucket(IConnectionMultiplexer redis, RedisKey key, double perSecond, int size, ILogger logger) : RateLimiter
{
    // One flag for every bucket: an outage is logged once, not once per tenant.
    private static int _unreachable;

    private readonly RedisValue[] _arguments = [perSecond, size];
    private long _lastUsed = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <inheritdoc />
    public override TimeSpan? IdleDuration => System.Diagnostics.Stopwatch.GetElapsedTime(Volatile.Read(ref _lastUsed));

    /// <inheritdoc />
    public override RateLimiterStatistics? GetStatistics() => null;

    /// <inheritdoc />
    protected override RateLimitLease AttemptAcquireCore(int permitCount) => Lease.Pending;

    /// <inheritdoc />
    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        if (permitCount == 0)
        {
            return Lease.Granted;
        }
        Volatile.Write(ref _lastUsed, System.Diagnostics.Stopwatch.GetTimestamp());
        long[] reply;
        try
        {
            reply = (long[])(await redis.GetDatabase().ScriptEvaluateAsync(RequestBucketScripts.Take, [key], _arguments).WaitAsync(cancellationToken))!;
        }
        catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException)
        {
            if (Interlocked.Exchange(ref _unreachable, 1) == 0)
            {
                RateLimitLog.QuotaUnreachable(logger, e);
            }
            return Lease.Granted;
        }
        if (Interlocked.Exchange(ref _unreachable, 0) == 1)
        {
            RateLimitLog.Reachable(logger);
        }
        return reply[0] == 1 ? Lease.Granted : new Lease(false, TimeSpan.FromMilliseconds(reply[1]));
    }

    private sealed class Lease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public static readonly Lease Granted = new(true, null);

        public static readonly Lease Pending = new(false, null);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = retryAfter;
            return retryAfter is not null && metadataName == MetadataName.RetryAfter.Name;
        }
    }
}
