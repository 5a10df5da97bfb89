using System.Globalization;
using Apex.Agents.Tools;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Apex.Redis.Scratchpads;

/// <summary>
/// The scratchpads of distributed mode: one hash per scratchpad, <c>{prefix}:scratch:{tenant}:{id}</c>, whose field
/// <c>#bytes</c> (never a valid key) holds the UTF-8 bytes of keys and values. Bounds are checked and the TTL renewed
/// in one script, so concurrent writers on several workers cannot overshoot them.
/// </summary>
internal sealed class RedisScratchpad(IConnectionMultiplexer redis, IOptions<RedisOptions> redisOptions, IOptions<ScratchpadOptions> options) : IScratchpad
{
    private const string BytesField = "#bytes";

    /// <summary>
    /// KEYS[1] hash; ARGV[1] key, ARGV[2] value, ARGV[3] max keys, ARGV[4] max bytes, ARGV[5] ttl ms.
    /// Returns 0 stored, 1 too many keys, 2 too large.
    /// </summary>
    private const string WriteScript = """
        local old = redis.call('HGET', KEYS[1], ARGV[1])
        local bytes = tonumber(redis.call('HGET', KEYS[1], '#bytes') or '0')
        local count = redis.call('HLEN', KEYS[1]) - redis.call('HEXISTS', KEYS[1], '#bytes')
        if not old and count >= tonumber(ARGV[3]) then
          return 1
        end
        local size = bytes + #ARGV[1] + #ARGV[2]
        if old then
          size = size - #ARGV[1] - #old
        end
        if size > tonumber(ARGV[4]) then
          return 2
        end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], '#bytes', size)
        redis.call('PEXPIRE', KEYS[1], ARGV[5])
        return 0
        """;

    private readonly string _prefix = redisOptions.Value.Prefix + ":scratch:";
    private readonly ScratchpadOptions _options = options.Value;

    public async Task<string?> ReadAsync(ScratchpadScope scope, string key, CancellationToken cancellationToken = default) =>
        ScratchpadOptions.IsValidKey(key) ? (string?)await redis.GetDatabase().HashGetAsync(Key(scope), key) : null;

    public async Task<ScratchpadWrite> WriteAsync(ScratchpadScope scope, string key, string value, CancellationToken cancellationToken = default)
    {
        if (!ScratchpadOptions.IsValidKey(key))
        {
            throw new ArgumentException("Not a valid scratchpad key.", nameof(key));
        }
        var code = (int)await redis.GetDatabase().ScriptEvaluateAsync(
            WriteScript,
            [Key(scope)],
            [key, value, _options.MaxKeys, _options.MaxBytes, (long)_options.Ttl.TotalMilliseconds]);
        return code switch
        {
            0 => ScratchpadWrite.Ok,
            1 => ScratchpadWrite.TooManyKeys,
            _ => ScratchpadWrite.TooLarge,
        };
    }

    public async Task<IReadOnlyList<string>> ListAsync(ScratchpadScope scope, CancellationToken cancellationToken = default)
    {
        var fields = await redis.GetDatabase().HashKeysAsync(Key(scope));
        return [.. fields.Select(f => (string)f!).Where(f => f != BytesField).Order(StringComparer.Ordinal)];
    }

    private RedisKey Key(ScratchpadScope scope) =>
        string.Concat(_prefix, scope.TenantId, ":", scope.Id.ToString("D", CultureInfo.InvariantCulture));
}
