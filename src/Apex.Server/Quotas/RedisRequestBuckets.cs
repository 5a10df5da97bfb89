using System.Threading.RateLimiting;
using Apex.Redis;
using Apex.Redis.RateLimits;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Apex.Server.Quotas;

/// <summary>Distributed mode: one bucket per caller in Redis, <c>{prefix}:quota:{scope}:{id}</c>, shared by every API server.</summary>
internal sealed class RedisRequestBuckets(IConnectionMultiplexer redis, IOptions<RedisOptions> options, ILogger<RedisRequestBuckets> logger) : IRequestBuckets
{
    private readonly string _prefix = options.Value.Prefix + ":quota:";

    public RateLimiter Create(RequestBucket bucket) =>
        new RedisRequestBucket(redis, string.Concat(_prefix, bucket.Scope, ":", bucket.Id), bucket.PerSecond, bucket.Size, logger);
}
