using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Apex.Redis.Queue;

/// <summary>
/// The worker's side of the worker protocol: read work, take and extend leases, report results, announce presence
/// and hear cancellations. Holds no database credentials.
/// </summary>
public sealed class RedisWorkerClient : IAsyncDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly RedisStreams _streams;
    private readonly BlockingStreamReader? _blocking;
    private readonly RedisKeys _keys;
    private readonly RedisOptions _options;
    private readonly ILogger<RedisWorkerClient> _logger;
    private readonly string _startedAt;

    /// <summary>Creates the client over the shared multiplexer.</summary>
    public RedisWorkerClient(IConnectionMultiplexer redis, IOptions<RedisOptions> options, TimeProvider timeProvider, ILogger<RedisWorkerClient> logger)
    {
        _redis = redis;
        _options = options.Value;
        _keys = new RedisKeys(_options.Prefix);
        _logger = logger;
        _blocking = _options.BlockingReads ? new BlockingStreamReader(redis) : null;
        _streams = new RedisStreams(redis.GetDatabase(), _keys, _options, timeProvider, logger, _blocking);
        _startedAt = StreamFields.Time(timeProvider.GetUtcNow());
    }

    private IDatabase Db => _streams.Database;

    /// <summary>Reads new work for <paramref name="workerId"/> (group <c>apex-workers</c>), waiting up to <paramref name="block"/> for some.</summary>
    /// <remarks>
    /// Malformed entries are logged, acknowledged and deleted. Acquire each message before running it; the same task
    /// and attempt can arrive twice, and the acquire script lets its holder through again, so a worker must not run
    /// an attempt it is already running.
    /// </remarks>
    public Task<IReadOnlyList<QueueEntry<WorkMessage>>> ReadWorkAsync(string workerId, int max, TimeSpan block, CancellationToken cancellationToken = default)
    {
        Leases.CheckWorkerId(workerId);
        return _streams.ReadAsync(_keys.Work, RedisKeys.WorkersGroup, workerId, max, block, WorkMessage.Parse, cancellationToken);
    }

    /// <summary>Runs the acquire script: takes the lease of a dispatched attempt for this worker with the lease TTL.</summary>
    /// <returns><see cref="AcquireResult.Ok"/> to run it; anything else means <see cref="DiscardAsync"/> and nothing more.</returns>
    public async Task<AcquireResult> AcquireAsync(Guid taskId, int attempt, string workerId, CancellationToken cancellationToken = default) =>
        (await AcquireAsync([(taskId, attempt)], workerId, cancellationToken))[0];

    /// <summary>Runs the acquire script for a batch of attempts in one call; one result per attempt, in order.</summary>
    public async Task<IReadOnlyList<AcquireResult>> AcquireAsync(IReadOnlyList<(Guid TaskId, int Attempt)> attempts, string workerId, CancellationToken cancellationToken = default)
    {
        Leases.CheckWorkerId(workerId);
        if (attempts.Count == 0)
        {
            return [];
        }
        cancellationToken.ThrowIfCancellationRequested();
        var keys = new RedisKey[attempts.Count];
        var args = new RedisValue[attempts.Count + 2];
        args[0] = workerId;
        args[1] = TtlMs(_options.LeaseTtl);
        for (var i = 0; i < attempts.Count; i++)
        {
            keys[i] = _keys.Lease(attempts[i].TaskId);
            args[i + 2] = StreamFields.Int(attempts[i].Attempt);
        }
        var codes = (RedisResult[])(await Db.ScriptEvaluateAsync(Leases.Acquire, keys, args))!;
        var results = new AcquireResult[codes.Length];
        for (var i = 0; i < codes.Length; i++)
        {
            results[i] = (long)codes[i] switch
            {
                0 => AcquireResult.Ok,
                1 => AcquireResult.Lost,
                2 => AcquireResult.Stale,
                _ => AcquireResult.Taken,
            };
        }
        return results;
    }

    /// <summary>
    /// Heartbeat: resets the TTL of every lease still <c>"{attempt}|{workerId}"</c>, in one script call. Returns the
    /// attempts whose lease was lost: stop them; a result they still send will be ignored.
    /// </summary>
    public async Task<IReadOnlyList<(Guid TaskId, int Attempt)>> ExtendAsync(IReadOnlyList<(Guid TaskId, int Attempt)> leases, string workerId, CancellationToken cancellationToken = default)
    {
        Leases.CheckWorkerId(workerId);
        if (leases.Count == 0)
        {
            return [];
        }
        cancellationToken.ThrowIfCancellationRequested();
        var keys = new RedisKey[leases.Count];
        var args = new RedisValue[leases.Count + 1];
        args[0] = TtlMs(_options.LeaseTtl);
        for (var i = 0; i < leases.Count; i++)
        {
            keys[i] = _keys.Lease(leases[i].TaskId);
            args[i + 1] = Leases.Value(leases[i].Attempt, workerId);
        }
        var lost = (RedisResult[])(await Db.ScriptEvaluateAsync(Leases.Extend, keys, args))!;
        if (lost.Length == 0)
        {
            return [];
        }
        var result = new (Guid, int)[lost.Length];
        for (var i = 0; i < lost.Length; i++)
        {
            result[i] = leases[(int)lost[i] - 1];
        }
        return result;
    }

    /// <summary>
    /// Finishes an attempt in one round trip: adds the result, acknowledges and deletes the work entry, and marks the
    /// lease <c>"{attempt}|done"</c> if it is still this worker's (the orchestrator drops it once it applied the result).
    /// </summary>
    public Task CompleteAsync(string workEntryId, ResultMessage result, CancellationToken cancellationToken = default) =>
        CompleteAsync([(workEntryId, result)], cancellationToken);

    /// <summary>
    /// Finishes a batch of attempts in one round trip: one XADD per result, then one XACK and one XDEL for all the
    /// work entries and one release script for all the leases.
    /// </summary>
    public async Task CompleteAsync(IReadOnlyList<(string WorkEntryId, ResultMessage Result)> completions, CancellationToken cancellationToken = default)
    {
        if (completions.Count == 0)
        {
            return;
        }
        foreach (var (_, result) in completions)
        {
            Leases.CheckWorkerId(result.Worker);
        }
        cancellationToken.ThrowIfCancellationRequested();
        var ids = new RedisValue[completions.Count];
        var leaseKeys = new RedisKey[completions.Count];
        var leaseArgs = new RedisValue[(2 * completions.Count) + 1];
        // Done for as long as a message may wait in a stream: the result may wait behind a backlog before it is applied.
        leaseArgs[0] = TtlMs(_options.DispatchTtl);
        var pending = new Task[completions.Count + 3];
        var batch = Db.CreateBatch();
        for (var i = 0; i < completions.Count; i++)
        {
            var (entryId, result) = completions[i];
            ids[i] = entryId;
            leaseKeys[i] = _keys.Lease(result.TaskId);
            leaseArgs[(2 * i) + 1] = Leases.Value(result.Attempt, result.Worker);
            leaseArgs[(2 * i) + 2] = Leases.Value(result.Attempt, Leases.Done);
            pending[i] = batch.StreamAddAsync(_keys.Results, result.ToEntries());
        }
        pending[^3] = batch.StreamAcknowledgeAsync(_keys.Work, RedisKeys.WorkersGroup, ids);
        pending[^2] = batch.StreamDeleteAsync(_keys.Work, ids);
        pending[^1] = batch.ScriptEvaluateAsync(Leases.Release, leaseKeys, leaseArgs);
        batch.Execute();
        await Task.WhenAll(pending);
    }

    /// <summary>Acknowledges and deletes a work entry without running it (lost, stale or taken).</summary>
    public Task DiscardAsync(string workEntryId, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return _streams.AckDeleteAsync(_keys.Work, RedisKeys.WorkersGroup, [workEntryId]);
    }

    /// <summary>Writes this worker's presence hash and gives it the lease TTL; call it every heartbeat.</summary>
    public async Task HeartbeatPresenceAsync(string workerId, int capacity, int busy, string language, CancellationToken cancellationToken = default)
    {
        Leases.CheckWorkerId(workerId);
        cancellationToken.ThrowIfCancellationRequested();
        var key = _keys.Worker(workerId);
        var batch = Db.CreateBatch();
        var set = batch.HashSetAsync(key,
        [
            new HashEntry("capacity", capacity),
            new HashEntry("busy", busy),
            new HashEntry("language", language),
            new HashEntry("started_at", _startedAt),
        ]);
        var expire = batch.KeyExpireAsync(key, _options.LeaseTtl);
        batch.Execute();
        await Task.WhenAll(set, expire);
    }

    /// <summary>
    /// Listens for cancellations on <c>{prefix}:control</c>, calling <paramref name="onCancel"/> with the task and
    /// attempt, one message at a time, until the returned handle is disposed.
    /// </summary>
    public async Task<IAsyncDisposable> SubscribeCancelsAsync(Action<Guid, int> onCancel, CancellationToken cancellationToken = default)
    {
        var channel = _keys.Control;
        var queue = await _redis.GetSubscriber().SubscribeAsync(channel).WaitAsync(cancellationToken);
        queue.OnMessage(message =>
        {
            ControlMessage? control;
            try
            {
                control = JsonSerializer.Deserialize((byte[])message.Message!, RedisJsonContext.Default.ControlMessage);
            }
            catch (JsonException e)
            {
                _logger.MalformedChannelMessage(e, channel.ToString());
                return;
            }
            if (control is { Type: ControlMessage.Cancel })
            {
                try
                {
                    onCancel(control.TaskId, control.Attempt);
                }
                catch (Exception e)
                {
                    _logger.HandlerFailed(e, channel.ToString());
                }
            }
        });
        return new ChannelSubscription(queue);
    }

    private static long TtlMs(TimeSpan ttl) => (long)ttl.TotalMilliseconds;

    /// <summary>Closes the connection of blocking reads, if one was opened.</summary>
    public ValueTask DisposeAsync() => _blocking?.DisposeAsync() ?? ValueTask.CompletedTask;
}
