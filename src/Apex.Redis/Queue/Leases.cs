using System.Globalization;

namespace Apex.Redis.Queue;

/// <summary>Lease values <c>"{attempt}|{owner}"</c> and the Lua scripts that compare-and-set them.</summary>
internal static class Leases
{
    /// <summary>Owner of a lease the orchestrator wrote at dispatch, before any worker took it.</summary>
    public const string Dispatched = "dispatched";

    /// <summary>
    /// Owner of a lease whose worker finished and sent its result. The lease stays (for the dispatch TTL, or until the
    /// orchestrator drops it after applying the result, however long the results stream's backlog) so that a sweep running between the result's XADD and its
    /// application does not take the finished attempt for a dead one and re-queue it.
    /// </summary>
    public const string Done = "done";

    public static string Value(int attempt, string owner) => string.Concat(attempt.ToString(CultureInfo.InvariantCulture), "|", owner);

    /// <summary>The attempt of a lease value, or null when it is malformed.</summary>
    public static int? AttemptOf(string value)
    {
        var bar = value.IndexOf('|', StringComparison.Ordinal);
        return bar > 0 && int.TryParse(value.AsSpan(0, bar), NumberStyles.None, CultureInfo.InvariantCulture, out var attempt) ? attempt : null;
    }

    public static void CheckWorkerId(string workerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(workerId);
        if (workerId is Dispatched or Done || workerId.Contains('|', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{workerId}' is reserved or contains '|'; it cannot be a worker id.", nameof(workerId));
        }
    }

    /// <summary>
    /// KEYS leases; ARGV[1] worker, ARGV[2] ttl ms, ARGV[i + 2] the attempt of KEYS[i].
    /// Returns one code per key: 0 ok, 1 lost, 2 stale, 3 taken.
    /// </summary>
    public const string Acquire = """
        local codes = {}
        for i, key in ipairs(KEYS) do
          local attempt = ARGV[i + 2]
          local v = redis.call('GET', key)
          local code = 3
          if not v then
            code = 1
          else
            local bar = string.find(v, '|', 1, true)
            if bar then
              local owner = string.sub(v, bar + 1)
              if string.sub(v, 1, bar - 1) ~= attempt then
                code = 2
              elseif owner == 'dispatched' or owner == ARGV[1] then
                redis.call('SET', key, attempt .. '|' .. ARGV[1], 'PX', ARGV[2])
                code = 0
              end
            end
          end
          codes[i] = code
        end
        return codes
        """;

    /// <summary>KEYS leases; ARGV[1] ttl ms, ARGV[i + 1] the value KEYS[i] must still hold. Returns the 1-based indexes of lost leases.</summary>
    public const string Extend = """
        local lost = {}
        for i, key in ipairs(KEYS) do
          if redis.call('GET', key) == ARGV[i + 1] then
            redis.call('PEXPIRE', key, ARGV[1])
          else
            lost[#lost + 1] = i
          end
        end
        return lost
        """;

    /// <summary>
    /// KEYS leases; ARGV[1] ttl ms, ARGV[2i] the worker's own value of KEYS[i], ARGV[2i + 1] its done value. Marks
    /// each lease done if it is still the worker's.
    /// </summary>
    public const string Release = """
        for i, key in ipairs(KEYS) do
          if redis.call('GET', key) == ARGV[2 * i] then
            redis.call('SET', key, ARGV[2 * i + 1], 'PX', ARGV[1])
          end
        end
        return 0
        """;

    /// <summary>
    /// KEYS leases; ARGV[i] <c>"{attempt}|"</c> of KEYS[i]. Deletes each lease that belongs to that attempt, whoever holds
    /// it; returns how many it deleted.
    /// </summary>
    public const string DropAttempts = """
        local deleted = 0
        for i, key in ipairs(KEYS) do
          local v = redis.call('GET', key)
          if v and string.sub(v, 1, #ARGV[i]) == ARGV[i] then
            deleted = deleted + redis.call('DEL', key)
          end
        end
        return deleted
        """;

    /// <summary>KEYS[1] lease; ARGV[1] exact value. Deletes the lease if it holds exactly that value.</summary>
    public const string DropIfEquals = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('DEL', KEYS[1])
        end
        return 0
        """;
}
