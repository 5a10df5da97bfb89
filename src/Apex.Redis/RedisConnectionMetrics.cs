using System.Diagnostics.Metrics;
using StackExchange.Redis;

namespace Apex.Redis;

/// <summary>
/// The gauge <c>apex_redis_connections_active</c> (meter <c>Apex.Redis</c>): the Redis servers the process's shared
/// multiplexer holds a usable connection to (StackExchange.Redis sends every command to a server over one connection).
/// The distributed cache's own connection is not counted.
/// </summary>
public sealed class RedisConnectionMetrics
{
    /// <summary>Meter name.</summary>
    public const string MeterName = "Apex.Redis";

    /// <summary>Creates the gauge over <paramref name="redis"/>.</summary>
    public RedisConnectionMetrics(IConnectionMultiplexer redis, IMeterFactory meterFactory) =>
        meterFactory.Create(MeterName).CreateObservableGauge("apex.redis.connections.active", () => redis.GetServers().Count(s => s.IsConnected),
            description: "Redis servers this process is connected to.");
}
