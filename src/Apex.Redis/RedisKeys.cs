using StackExchange.Redis;

namespace Apex.Redis;

/// <summary>The key and channel names of docs/worker-protocol.md under one prefix.</summary>
internal sealed class RedisKeys(string prefix)
{
    /// <summary>Consumer group of the workers on the work stream.</summary>
    public const string WorkersGroup = "apex-workers";

    /// <summary>Consumer group of the orchestrators on the results stream.</summary>
    public const string OrchestratorsGroup = "apex-orchestrators";

    private readonly string _leasePrefix = prefix + ":lease:";
    private readonly string _workerPrefix = prefix + ":worker:";

    public RedisKey Work { get; } = prefix + ":work";

    public RedisKey Results { get; } = prefix + ":results";

    public RedisChannel Events { get; } = RedisChannel.Literal(prefix + ":events");

    public RedisChannel Control { get; } = RedisChannel.Literal(prefix + ":control");

    public RedisChannel CacheInvalidate { get; } = RedisChannel.Literal(prefix + ":cache:invalidate");

    /// <summary>SCAN pattern of the presence hashes.</summary>
    public string WorkerPattern => _workerPrefix + "*";

    public RedisKey Lease(Guid taskId) => string.Concat(_leasePrefix, taskId.ToString("D"));

    public RedisKey Worker(string workerId) => string.Concat(_workerPrefix, workerId);

    public string WorkerIdOf(string key) => key[_workerPrefix.Length..];
}
