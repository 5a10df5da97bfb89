namespace Apex.Redis.RateLimits;

/// <summary>The Lua script of the shared provider rate limits.</summary>
internal static class RateLimitScripts
{
    /// <summary>
    /// KEYS[1] the provider's hash; ARGV[1] requests a minute, ARGV[2] tokens a minute (-1: unlimited), ARGV[3] tokens
    /// of this request (at most ARGV[2]), ARGV[4] longest wait in ms. Two token buckets (fields <c>rl</c>/<c>rt</c>
    /// requests, <c>tl</c>/<c>tt</c> tokens: level and when it was computed), each holding a minute's budget and
    /// refilled continuously; an absent bucket is full. The request is admitted by taking its amount from both, even
    /// below zero: the debt is the wait, so waiters are served in arrival order across processes. Returns
    /// <c>{0, wait ms}</c> when admitted and <c>{1, wait ms}</c> (nothing taken) when the wait would exceed ARGV[4].
    /// Time is the server's (<c>TIME</c>), so the clocks of the processes do not matter.
    /// </summary>
    public const string Acquire = """
        local key = KEYS[1]
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
        local specs = {{'rl', 'rt', tonumber(ARGV[1]), 1}, {'tl', 'tt', tonumber(ARGV[2]), tonumber(ARGV[3])}}
        local wait = 0
        local after = {}
        for i = 1, 2 do
          local s = specs[i]
          local limit = s[3]
          if limit > 0 and s[4] > 0 then
            local saved = redis.call('HMGET', key, s[1], s[2])
            local level = tonumber(saved[1]) or limit
            local at = tonumber(saved[2]) or now
            level = math.min(limit, level + math.max(0, now - at) * limit / 60000)
            local left = level - s[4]
            if left < 0 then
              wait = math.max(wait, -left * 60000 / limit)
            end
            after[i] = left
          end
        end
        if wait > tonumber(ARGV[4]) then
          return {1, math.ceil(wait)}
        end
        for i = 1, 2 do
          if after[i] then
            redis.call('HSET', key, specs[i][1], tostring(after[i]), specs[i][2], tostring(now))
          end
        end
        -- A bucket left alone for a minute is full again, which is what an absent one means.
        redis.call('PEXPIRE', key, math.ceil(wait) + 60000)
        return {0, math.ceil(wait)}
        """;
}
