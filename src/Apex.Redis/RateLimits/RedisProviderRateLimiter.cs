using Apex.Agents.Providers;
using Apex.Agents.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Apex.Redis.RateLimits;

/// <summary>
/// The <see cref="IProviderRateLimiter"/> of distributed mode: each provider's <see cref="ProviderOptions.RequestsPerMinute"/>
/// and <see cref="ProviderOptions.TokensPerMinute"/> are one budget for every process, kept in the hash
/// <c>{prefix}:ratelimit:{provider}</c> by <see cref="RateLimitScripts.Acquire"/>. When Redis cannot be reached the
/// call goes through unlimited (logged once per outage): no new work is dispatched while Redis is down, so only calls
/// already running are unmetered, and a provider's own 429 is still retried after its Retry-After.
/// </summary>
internal sealed class RedisProviderRateLimiter(
    IConnectionMultiplexer redis,
    IOptions<RedisOptions> redisOptions,
    IOptions<RateLimitOptions> options,
    IOptions<ProvidersOptions> providers,
    TimeProvider timeProvider,
    ILogger<RedisProviderRateLimiter> logger) : IProviderRateLimiter
{
    private readonly string _prefix = redisOptions.Value.Prefix + ":ratelimit:";
    private readonly long _maxWaitMs = (long)options.Value.MaxWait.TotalMilliseconds;
    private int _unreachable;

    public async ValueTask AcquireAsync(string provider, int estimatedTokens, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!providers.Value.Items.TryGetValue(provider, out var limits) || (limits.RequestsPerMinute is null && limits.TokensPerMinute is null))
        {
            return;
        }
        var tokenLimit = limits.TokensPerMinute ?? -1;
        // A prompt larger than a whole minute's budget waits for a full bucket rather than never running.
        var tokens = tokenLimit > 0 ? Math.Min(Math.Max(estimatedTokens, 0), tokenLimit) : 0;
        long[] reply;
        try
        {
            reply = (long[])(await redis.GetDatabase().ScriptEvaluateAsync(
                RateLimitScripts.Acquire, [Key(provider)], [limits.RequestsPerMinute ?? -1, tokenLimit, tokens, _maxWaitMs]))!;
        }
        catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException)
        {
            if (Interlocked.Exchange(ref _unreachable, 1) == 0)
            {
                RateLimitLog.Unreachable(logger, e, provider);
            }
            return;
        }
        if (Interlocked.Exchange(ref _unreachable, 0) == 1)
        {
            RateLimitLog.Reachable(logger);
        }
        var wait = TimeSpan.FromMilliseconds(reply[1]);
        if (reply[0] != 0)
        {
            throw new RateLimitRefusedException($"Provider '{provider}' is over its shared rate limit for longer than Apex:Redis:RateLimits:MaxWait.")
            {
                RetryAfter = wait,
            };
        }
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    internal RedisKey Key(string provider) => string.Concat(_prefix, provider.ToLowerInvariant());
}
