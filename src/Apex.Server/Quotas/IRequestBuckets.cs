using System.Threading.RateLimiting;

namespace Apex.Server.Quotas;

/// <summary>Makes the token bucket of a <see cref="RequestBucket"/>: in this process (embedded) or in Redis (distributed).</summary>
internal interface IRequestBuckets
{
    RateLimiter Create(RequestBucket bucket);
}
