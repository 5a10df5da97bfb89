namespace Apex.Redis.RateLimits;

/// <summary>The Lua script of the shared request rate limits (tenant and key quotas).</summary>
internal static class RequestBucketScripts
{
    /// <summary>
    /// KEYS[1] the bucket's hash; ARGV[1] tokens a second, ARGV[2] the bucket's size. A token bucket (fields <c>l</c>
    /// level, <c>t</c> when it was computed, in ms of the Redis server's clock), refilled continuously; an absent bucket
    /// is full. Takes one token and returns <c>{1, 0}</c>, or takes nothing and returns <c>{0, ms until a token}</c>.
    /// The key expires once the bucket would be full again, which is what an absent one means.
    /// </summary>
    public const string Take = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
        local rate = tonumber(ARGV[1])
        local size = tonumber(ARGV[2])
        local saved = redis.call('HMGET', KEYS[1], 'l', 't')
        local level = tonumber(saved[1]) or size
        local at = tonumber(saved[2]) or now
        level = math.min(size, level + math.max(0, now - at) * rate / 1000)
        if level < 1 then
          return {0, math.ceil((1 - level) * 1000 / rate)}
        end
        level = level - 1
        redis.call('HSET', KEYS[1], 'l', tostring(level), 't', tostring(now))
        redis.call('PEXPIRE', KEYS[1], math.ceil((size - level) * 1000 / rate) + 1000)
        return {1, 0}
        """;
}
