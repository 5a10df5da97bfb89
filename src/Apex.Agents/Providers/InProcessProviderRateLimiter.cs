using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Apex.Agents.Runtime;
using Microsoft.Extensions.Options;

namespace Apex.Agents.Providers;

/// <summary>
/// Token buckets per provider, refilled continuously so a minute's budget is spread over the minute; a full bucket
/// lets one minute's worth through at once. Callers wait in arrival order.
/// </summary>
internal sealed class InProcessProviderRateLimiter(IOptions<ProvidersOptions> providers) : IProviderRateLimiter, IDisposable
{
    private readonly ConcurrentDictionary<string, Limits> _limits = new(StringComparer.OrdinalIgnoreCase);

    public async ValueTask AcquireAsync(string provider, int estimatedTokens, CancellationToken cancellationToken = default)
    {
        var limits = _limits.GetOrAdd(provider, Create);
        if (limits.Requests is { } requests)
        {
            await AcquireAsync(provider, requests, 1, cancellationToken).ConfigureAwait(false);
        }
        if (limits.Tokens is { } tokens && estimatedTokens > 0)
        {
            // A prompt larger than a whole minute's budget waits for a full bucket rather than never running.
            await AcquireAsync(provider, tokens, Math.Min(estimatedTokens, limits.TokenLimit), cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        foreach (var limits in _limits.Values)
        {
            limits.Requests?.Dispose();
            limits.Tokens?.Dispose();
        }
    }

    private static async ValueTask AcquireAsync(string provider, RateLimiter limiter, int permits, CancellationToken cancellationToken)
    {
        using var lease = await limiter.AcquireAsync(permits, cancellationToken).ConfigureAwait(false);
        if (!lease.IsAcquired)
        {
            throw new RateLimitRefusedException($"Provider '{provider}' is over its configured rate limit and the wait queue is full.");
        }
    }

    private Limits Create(string provider) =>
        providers.Value.Items.TryGetValue(provider, out var options)
            ? new Limits(Bucket(options.RequestsPerMinute), Bucket(options.TokensPerMinute), options.TokensPerMinute ?? 0)
            : new Limits(null, null, 0);

    private static TokenBucketRateLimiter? Bucket(int? perMinute)
    {
        if (perMinute is not { } limit)
        {
            return null;
        }
        var perPeriod = (int)Math.Ceiling(limit / 60.0);
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = limit,
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1) * perPeriod / limit,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    private sealed record Limits(TokenBucketRateLimiter? Requests, TokenBucketRateLimiter? Tokens, int TokenLimit);
}
