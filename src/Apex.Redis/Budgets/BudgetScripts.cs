namespace Apex.Redis.Budgets;

/// <summary>
/// The Lua scripts of shared budgets. A budget is a hash with used (<c>ut</c> tokens, <c>un</c> nano-dollars,
/// <c>uc</c> calls) and reserved (<c>rt</c>, <c>rn</c>, <c>rc</c>) counters; the script that finds it absent creates it
/// from the seed, and every script resets its TTL.
/// </summary>
internal static class BudgetScripts
{
    /// <summary>
    /// KEYS[1] budget; ARGV[1] ttl ms, ARGV[2..4] amount, ARGV[5..7] limits (-1: none), ARGV[8..10] seed. Reserves the
    /// amount if used + reserved + amount fits every limit. Returns {code, ut, un, uc, rt, rn, rc} after it: code 0
    /// reserved, 1 tokens, 2 cost or 3 calls would overflow (nothing reserved).
    /// </summary>
    public const string Reserve = """
        local key = KEYS[1]
        if redis.call('EXISTS', key) == 0 then
          redis.call('HSET', key, 'ut', ARGV[8], 'un', ARGV[9], 'uc', ARGV[10], 'rt', 0, 'rn', 0, 'rc', 0)
        end
        local h = redis.call('HMGET', key, 'ut', 'un', 'uc', 'rt', 'rn', 'rc')
        for i = 1, 6 do
          h[i] = tonumber(h[i]) or 0
        end
        local code = 0
        for i = 1, 3 do
          local limit = tonumber(ARGV[4 + i])
          if code == 0 and limit >= 0 and h[i] + h[i + 3] + tonumber(ARGV[1 + i]) > limit then
            code = i
          end
        end
        if code == 0 then
          h[4] = redis.call('HINCRBY', key, 'rt', ARGV[2])
          h[5] = redis.call('HINCRBY', key, 'rn', ARGV[3])
          h[6] = redis.call('HINCRBY', key, 'rc', ARGV[4])
        end
        redis.call('PEXPIRE', key, ARGV[1])
        return {code, h[1], h[2], h[3], h[4], h[5], h[6]}
        """;

    /// <summary>
    /// KEYS[1] budget; ARGV[1] ttl ms, ARGV[2..4] the reservation negated, ARGV[5..7] actual, ARGV[8..10] seed.
    /// Releases the reservation (never below zero: a budget re-seeded while the call ran no longer holds it) and adds
    /// the actual usage. Returns {ut, un, uc} after it.
    /// </summary>
    public const string Settle = """
        local key = KEYS[1]
        if redis.call('EXISTS', key) == 0 then
          redis.call('HSET', key, 'ut', ARGV[8], 'un', ARGV[9], 'uc', ARGV[10], 'rt', 0, 'rn', 0, 'rc', 0)
        end
        local reserved = {'rt', 'rn', 'rc'}
        local used = {'ut', 'un', 'uc'}
        local after = {}
        for i = 1, 3 do
          if redis.call('HINCRBY', key, reserved[i], ARGV[1 + i]) < 0 then
            redis.call('HSET', key, reserved[i], 0)
          end
          after[i] = redis.call('HINCRBY', key, used[i], ARGV[4 + i])
        end
        redis.call('PEXPIRE', key, ARGV[1])
        return after
        """;
}
