using StackExchange.Redis;

namespace Apex.ServiceDefaults.Health;

/// <summary>Whether Redis answers now: for readiness, which must not wait out the client's own multi-second timeouts.</summary>
public static class RedisProbe
{
    /// <summary>Null when Redis answered a PING within <paramref name="timeout"/>; otherwise why not.</summary>
    public static async Task<string?> CheckAsync(IConnectionMultiplexer redis, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        // Disconnected, the client would queue the PING in its backlog until its own timeout (5 s): answer at once instead.
        if (!redis.IsConnected)
        {
            return "Redis is not connected.";
        }
        try
        {
            await redis.GetDatabase().PingAsync().WaitAsync(timeout, cancellationToken);
            return null;
        }
        catch (TimeoutException)
        {
            return $"Redis did not answer a PING within {timeout.TotalMilliseconds:0} ms.";
        }
        catch (RedisException e)
        {
            return $"Redis: {e.Message}";
        }
    }
}
