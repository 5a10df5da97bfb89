using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Apex.Redis.Queue;

/// <summary>
/// The orchestrator's side of the worker protocol: dispatch work with its lease, consume results, check and drop
/// leases, reap what dead consumers left pending, and publish cancellations.
/// </summary>
public sealed class RedisDispatcher : IAsyncDisposable
{
    /// <summary>The consumer that takes over abandoned work entries to delete them.</summary>
    public const string ReaperConsumer = "apex-reaper";

    private const int MgetChunk = 512;
    private const long MaxUnixMs = 253_402_300_799_999;

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisStreams _streams;
    private readonly BlockingStreamReader? _blocking;
    private readonly RedisKeys _keys;
    private readonly RedisOptions _options;
    private readonly ILogger<RedisDispatcher> _logger;

    /// <summary>Creates the dispatcher over the shared multiplexer.</summary>
    public RedisDispatcher(IConnectionMultiplexer redis, IOptions<RedisOptions> options, TimeProvider timeProvider, ILogger<RedisDispatcher> logger)
    {
        _redis = redis;
        _options = options.Value;
        _keys = new RedisKeys(_options.Prefix);
        _logger = logger;
        _blocking = _options.BlockingReads ? new BlockingStreamReader(redis) : null;
        _streams = new RedisStreams(redis.GetDatabase(), _keys, _options, timeProvider, logger, _blocking);
    }

    private IDatabase Db => _streams.Database;

    /// <summary>
    /// For each message, sets its lease to <c>"{attempt}|dispatched"</c> with the dispatch TTL and adds it to the work
    /// stream: the whole batch in one round trip, each lease written before its message.
    /// </summary>
    public async Task DispatchAsync(IReadOnlyList<WorkMessage> messages, CancellationToken cancellationToken = default)
    {
        if (messages.Count == 0)
        {
            return;
        }
        cancellationToken.ThrowIfCancellationRequested();
        var batch = Db.CreateBatch();
        var pending = new Task[messages.Count * 2];
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            pending[2 * i] = batch.StringSetAsync(_keys.Lease(message.TaskId), Leases.Value(message.Attempt, Leases.Dispatched), _options.DispatchTtl);
            pending[(2 * i) + 1] = batch.StreamAddAsync(_keys.Work, message.ToEntries());
        }
        batch.Execute();
        await Task.WhenAll(pending);
    }

    /// <summary>
    /// Reads new results for <paramref name="consumer"/> (group <c>apex-orchestrators</c>), waiting up to
    /// <paramref name="block"/> for some. Malformed entries are logged, acknowledged and deleted, never returned.
    /// </summary>
    public Task<IReadOnlyList<QueueEntry<ResultMessage>>> ReadResultsAsync(string consumer, int max, TimeSpan block, CancellationToken cancellationToken = default) =>
        _streams.ReadAsync(_keys.Results, RedisKeys.OrchestratorsGroup, consumer, max, block, ResultMessage.Parse, cancellationToken);

    /// <summary>Acknowledges and deletes applied results (XACK + XDEL, one round trip).</summary>
    public Task AckResultsAsync(IReadOnlyList<string> entryIds, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return _streams.AckDeleteAsync(_keys.Results, RedisKeys.OrchestratorsGroup, ToValues(entryIds));
    }

    /// <summary>
    /// Takes over results that another orchestrator (a dead API server) read but did not acknowledge within
    /// <paramref name="minIdle"/>, up to one read batch; apply them, then <see cref="AckResultsAsync"/>.
    /// </summary>
    public async Task<IReadOnlyList<QueueEntry<ResultMessage>>> ClaimAbandonedResultsAsync(string consumer, TimeSpan minIdle, CancellationToken cancellationToken = default)
    {
        var claimed = await _streams.ClaimAsync(
            _keys.Results, RedisKeys.OrchestratorsGroup, consumer, minIdle, _options.ReadBatch, ResultMessage.Parse, cancellationToken);
        if (claimed.Count > 0)
        {
            _logger.ResultsClaimed(claimed.Count, consumer);
        }
        return claimed;
    }

    /// <summary>
    /// Of the given running attempts, those whose lease is missing (expired: the worker died, or Redis lost its data)
    /// or belongs to another attempt. A lease marked done by its worker still counts as held.
    /// </summary>
    public async Task<IReadOnlyList<(Guid TaskId, int Attempt)>> LostLeasesAsync(IReadOnlyList<(Guid TaskId, int Attempt)> attempts, CancellationToken cancellationToken = default)
    {
        if (attempts.Count == 0)
        {
            return [];
        }
        cancellationToken.ThrowIfCancellationRequested();
        var batch = Db.CreateBatch();
        var chunks = new Task<RedisValue[]>[(attempts.Count + MgetChunk - 1) / MgetChunk];
        for (var c = 0; c < chunks.Length; c++)
        {
            var keys = new RedisKey[Math.Min(MgetChunk, attempts.Count - (c * MgetChunk))];
            for (var i = 0; i < keys.Length; i++)
            {
                keys[i] = _keys.Lease(attempts[(c * MgetChunk) + i].TaskId);
            }
            chunks[c] = batch.StringGetAsync(keys);
        }
        batch.Execute();
        await Task.WhenAll(chunks);

        var lost = new List<(Guid, int)>();
        for (var c = 0; c < chunks.Length; c++)
        {
            var values = chunks[c].Result;
            for (var i = 0; i < values.Length; i++)
            {
                var attempt = attempts[(c * MgetChunk) + i];
                if (values[i].IsNull || Leases.AttemptOf((string)values[i]!) != attempt.Attempt)
                {
                    lost.Add(attempt);
                }
            }
        }
        return lost;
    }

    /// <summary>Deletes a task's lease if it belongs to <paramref name="attempt"/> (whoever holds it); true if it did.</summary>
    public async Task<bool> DropLeaseAsync(Guid taskId, int attempt, CancellationToken cancellationToken = default) =>
        await DropLeasesAsync([(taskId, attempt)], cancellationToken) == 1;

    /// <summary>Deletes the leases of applied attempts in one script call (see <see cref="DropLeaseAsync"/>); returns how many it deleted.</summary>
    public async Task<long> DropLeasesAsync(IReadOnlyList<(Guid TaskId, int Attempt)> attempts, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (attempts.Count == 0)
        {
            return 0;
        }
        var keys = new RedisKey[attempts.Count];
        var prefixes = new RedisValue[attempts.Count];
        for (var i = 0; i < attempts.Count; i++)
        {
            keys[i] = _keys.Lease(attempts[i].TaskId);
            prefixes[i] = Leases.Value(attempts[i].Attempt, "");
        }
        return (long)await Db.ScriptEvaluateAsync(Leases.DropAttempts, keys, prefixes);
    }

    /// <summary>Deletes the leases of tasks whatever attempt they hold (the tasks ended: no attempt of them may go on).</summary>
    public async Task DropAllLeasesAsync(IReadOnlyList<Guid> taskIds, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (taskIds.Count > 0)
        {
            await Db.KeyDeleteAsync([.. taskIds.Select(id => _keys.Lease(id))]);
        }
    }

    /// <summary>
    /// Acknowledges and deletes work entries that a consumer read but left pending longer than <paramref name="minIdle"/>
    /// (its worker died or dropped them), up to one read batch a call. A reaped entry whose lease was never taken
    /// (still <c>dispatched</c>) has its lease deleted too, so the sweep re-queues the task within a lease TTL instead
    /// of the dispatch TTL. Returns the reaped messages.
    /// </summary>
    public async Task<IReadOnlyList<WorkMessage>> ReapAbandonedWorkAsync(TimeSpan minIdle, CancellationToken cancellationToken = default)
    {
        var claimed = await _streams.ClaimAsync(
            _keys.Work, RedisKeys.WorkersGroup, ReaperConsumer, minIdle, _options.ReadBatch, WorkMessage.Parse, cancellationToken);
        if (claimed.Count == 0)
        {
            return [];
        }
        var ids = new RedisValue[claimed.Count];
        var messages = new WorkMessage[claimed.Count];
        var batch = Db.CreateBatch();
        var pending = new Task[claimed.Count + 2];
        for (var i = 0; i < claimed.Count; i++)
        {
            ids[i] = claimed[i].EntryId;
            var message = messages[i] = claimed[i].Message;
            pending[i] = batch.ScriptEvaluateAsync(
                Leases.DropIfEquals, [_keys.Lease(message.TaskId)], [Leases.Value(message.Attempt, Leases.Dispatched)]);
        }
        pending[^2] = batch.StreamAcknowledgeAsync(_keys.Work, RedisKeys.WorkersGroup, ids);
        pending[^1] = batch.StreamDeleteAsync(_keys.Work, ids);
        batch.Execute();
        await Task.WhenAll(pending);
        _logger.WorkReaped(claimed.Count, minIdle);
        return messages;
    }

    /// <summary>Asks the worker running <paramref name="taskId"/> at <paramref name="attempt"/> to stop (channel <c>{prefix}:control</c>).</summary>
    public async Task PublishCancelAsync(Guid taskId, int attempt, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var payload = JsonSerializer.SerializeToUtf8Bytes(new ControlMessage(ControlMessage.Cancel, taskId, attempt), RedisJsonContext.Default.ControlMessage);
        await _redis.GetSubscriber().PublishAsync(_keys.Control, payload);
    }

    /// <summary>Lengths and pending counts of the work and results streams.</summary>
    public async Task<QueueDepth> QueueDepthAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return await _streams.WithGroupsAsync(_keys.Work, RedisKeys.WorkersGroup, async () =>
        {
            var batch = Db.CreateBatch();
            var work = batch.StreamLengthAsync(_keys.Work);
            var workPending = batch.StreamPendingAsync(_keys.Work, RedisKeys.WorkersGroup);
            var results = batch.StreamLengthAsync(_keys.Results);
            var resultsPending = batch.StreamPendingAsync(_keys.Results, RedisKeys.OrchestratorsGroup);
            batch.Execute();
            await Task.WhenAll(work, workPending, results, resultsPending);
            return new QueueDepth(work.Result, workPending.Result.PendingMessageCount, results.Result, resultsPending.Result.PendingMessageCount);
        });
    }

    /// <summary>The workers whose presence hash has not expired (SCAN; for health and metrics, not a hot path).</summary>
    public async Task<IReadOnlyList<WorkerPresence>> WorkersAsync(CancellationToken cancellationToken = default)
    {
        var keys = new List<RedisKey>();
        foreach (var server in _redis.GetServers())
        {
            if (server.IsReplica || !server.IsConnected)
            {
                continue;
            }
            await foreach (var key in server.KeysAsync(Db.Database, _keys.WorkerPattern, pageSize: 1000).WithCancellation(cancellationToken))
            {
                keys.Add(key);
            }
        }
        var batch = Db.CreateBatch();
        var hashes = keys.ConvertAll(k => batch.HashGetAllAsync(k));
        batch.Execute();
        await Task.WhenAll(hashes);

        var workers = new List<WorkerPresence>(keys.Count);
        for (var i = 0; i < keys.Count; i++)
        {
            var fields = hashes[i].Result;
            if (fields.Length > 0)
            {
                workers.Add(ToPresence(_keys.WorkerIdOf(keys[i].ToString()), fields));
            }
        }
        return workers;
    }

    private static WorkerPresence ToPresence(string workerId, HashEntry[] fields)
    {
        int capacity = 0, busy = 0;
        var language = "";
        DateTimeOffset? startedAt = null;
        foreach (var field in fields)
        {
            var value = (string?)field.Value ?? "";
            switch ((string?)field.Name)
            {
                case "capacity": _ = int.TryParse(value, CultureInfo.InvariantCulture, out capacity); break;
                case "busy": _ = int.TryParse(value, CultureInfo.InvariantCulture, out busy); break;
                case "language": language = value; break;
                case "started_at":
                    startedAt = long.TryParse(value, CultureInfo.InvariantCulture, out var ms) && ms is >= 0 and <= MaxUnixMs
                        ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
                        : null;
                    break;
                default: break;
            }
        }
        return new WorkerPresence(workerId, capacity, busy, language, startedAt);
    }

    private static RedisValue[] ToValues(IReadOnlyList<string> ids)
    {
        var values = new RedisValue[ids.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = ids[i];
        }
        return values;
    }

    /// <summary>Closes the connection of blocking reads, if one was opened.</summary>
    public ValueTask DisposeAsync() => _blocking?.DisposeAsync() ?? ValueTask.CompletedTask;
}
