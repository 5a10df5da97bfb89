using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Apex.Core.Errors;
using Apex.Core.Events;
using Apex.Core.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Apex.Postgres;

/// <summary>
/// Group commit, as in the embedded store: every write of this process goes through one channel; a writer takes all
/// the writes waiting at that moment (up to <see cref="PostgresOptions.MaxBatch"/>) and runs them in one transaction,
/// appends all their events with one multi-row INSERT, and answers the callers only after the commit (then publishes
/// the events). <see cref="PostgresOptions.Writers"/> writers do so at once, each on its own connection, so that one
/// group runs its statements while another waits for its commit to be flushed. Unlike SQLite, other writers (of this
/// process or of other servers) write the same rows at the same time, so:
/// <list type="bullet">
/// <item>every transition locks or compare-and-sets its rows, and DAG writes lock the DAG row first;</item>
/// <item>the group is ordered before it runs, unkeyed writes first, then writes on the same DAG or task together in a
/// fixed global order (so two servers' groups take their locks in the same order), then claims, which lock only with
/// SKIP LOCKED;</item>
/// <item>a group that loses a deadlock or serialization race is run again; a group that hits any other database error
/// is split and each write is run alone, so one bad write cannot fail the others.</item>
/// </list>
/// </summary>
internal sealed partial class PostgresWriter : IAsyncDisposable
{
    private static readonly Meter StoreMeter = new("Apex.Store");
    private static readonly Histogram<double> CommitDuration = StoreMeter.CreateHistogram<double>("apex.store.commit.duration", "ms",
        "Time one group commit held its connection: the group's statements, the event append and the commit.");
    private static readonly Histogram<int> CommitWrites = StoreMeter.CreateHistogram<int>("apex.store.commit.writes", "{write}",
        "Writes coalesced into one group commit.");

    private readonly Channel<WriteOp> _channel;
    private readonly NpgsqlDataSource _dataSource;
    private readonly IEventBus _bus;
    private readonly PostgresOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Task[] _loops;
    private readonly SemaphoreSlim _appendTurn = new(1, 1);

    public PostgresWriter(NpgsqlDataSource dataSource, IEventBus bus, PostgresOptions options, TimeProvider timeProvider, ILogger logger)
    {
        _dataSource = dataSource;
        _bus = bus;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        _channel = Channel.CreateBounded<WriteOp>(new BoundedChannelOptions(options.MaxPendingWrites)
        {
            SingleReader = options.Writers == 1,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loops = [.. Enumerable.Range(0, options.Writers).Select(_ => Task.Run(RunAsync))];
    }

    /// <summary>Offers the dependents later groups make ready to <paramref name="starts"/> (see <see cref="IEagerStarts"/>).</summary>
    public void UseEagerStarts(IEagerStarts starts) => Volatile.Write(ref _starts, starts);

    private IEagerStarts? _starts;

    /// <summary>Runs <paramref name="work"/> in the next group commit and returns its result once committed.</summary>
    public async Task<T> WriteAsync<T>(WriteKey key, Func<WriteContext, Task<T>> work, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var op = new WriteOp<T>(key, work);
        if (!_channel.Writer.TryWrite(op))
        {
            await QueueAsync(op, cancellationToken);
        }
        // Once queued the write will be committed or failed as a whole; waiting for it ignores the caller's token so
        // that an acknowledged-or-not answer is never guessed.
        return await op.Completion.Task;
    }

    /// <summary>Waits for room in a full queue, up to <see cref="PostgresOptions.WriteTimeout"/> (a queue with room takes a write at once, with no timer).</summary>
    private async Task QueueAsync(WriteOp op, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.WriteTimeout);
        try
        {
            await _channel.Writer.WriteAsync(op, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ApexUnavailableException("The PostgreSQL store is saturated; try again shortly.");
        }
        catch (ChannelClosedException e)
        {
            throw new ApexUnavailableException("The PostgreSQL store is shutting down.", e);
        }
    }

    private async Task RunAsync()
    {
        var batch = new List<WriteOp>(_options.MaxBatch);
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < _options.MaxBatch && reader.TryRead(out var op))
            {
                batch.Add(op);
            }
            // Several writers wait on the channel and all wake for one write: the ones that found nothing must not
            // commit an empty transaction (it took the append turn from a real group: a fifth of all groups, measured).
            if (batch.Count > 0)
            {
                await CommitAsync(batch);
            }
        }
    }

    private async Task CommitAsync(List<WriteOp> batch)
    {
        var failure = await TryCommitAsync(batch);
        if (failure is null)
        {
            return;
        }
        if (batch.Count > 1 && failure is PostgresException && !PostgresErrors.IsUnavailable(failure))
        {
            // One write broke a constraint (or hit a bug in SQL): find it by running each write alone.
            LogGroupSplit(failure, batch.Count);
            foreach (var op in batch)
            {
                if (await TryCommitAsync([op]) is { } alone)
                {
                    op.Fail(Map(alone));
                }
            }
            return;
        }
        LogCommitFailed(failure, batch.Count);
        var error = Map(failure);
        foreach (var op in batch)
        {
            op.Fail(error);
        }
    }

    /// <summary>Runs the writes in one transaction, again after a lost race; null once committed and answered.</summary>
    private async Task<Exception?> TryCommitAsync(IReadOnlyList<WriteOp> ops)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await RunTransactionAsync(ops);
                return null;
            }
            catch (Exception e) when (PostgresErrors.IsTransient(e) && attempt < _options.TransientRetries)
            {
                LogRetrying(e, ops.Count, attempt + 1);
            }
            catch (Exception e)
            {
                return e;
            }
        }
    }

    private async Task RunTransactionAsync(IReadOnlyList<WriteOp> ops)
    {
        var started = Stopwatch.GetTimestamp();
        await CommitGroupAsync(ops);
        CommitDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("store", "postgres"));
        CommitWrites.Record(ops.Count, new KeyValuePair<string, object?>("store", "postgres"));
    }

    /// <summary>
    /// Runs the group's writes, then, one writer at a time, appends its events, commits, answers the callers and
    /// publishes the events. The event-append lock already lets one transaction of the whole cluster append and commit
    /// at a time; taking this process's turn first keeps its publications in <c>seq</c> order too (a live stream skips
    /// what is older than what it last sent), and costs nothing more.
    /// </summary>
    private async Task CommitGroupAsync(IReadOnlyList<WriteOp> ops)
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        var context = new WriteContext(connection, _timeProvider.GetUtcNow().ToUnixTimeMilliseconds(), _options.WriterCustomPlans)
        {
            Starts = Volatile.Read(ref _starts),
        };
        var committed = false;
        try
        {
            await RunWritesAsync(context, ops);
            // The last successes' dependents are looked up outside the turn: the other writer may append meanwhile.
            await context.LookUpReadyAsync();
            await _appendTurn.WaitAsync();
            try
            {
                var published = await context.CommitAsync();
                committed = true;
                foreach (var op in ops)
                {
                    op.Finish();
                }
                if (published.Count > 0)
                {
                    _bus.Publish(published);
                }
            }
            finally
            {
                _appendTurn.Release();
            }
        }
        finally
        {
            if (!committed)
            {
                await context.RollBackAsync();
            }
            // Last, and always: a committed claim must reach the dispatcher that reserved room for it, and the room of a
            // claim that was not committed (the group failed, or is run again) is given back. A commit whose outcome is
            // unknown counts as not committed: a claim it made after all has no lease, and the sweeper re-queues it.
            foreach (var (item, task) in context.Started)
            {
                if (committed)
                {
                    context.Starts!.Start(item, task);
                }
                else
                {
                    context.Starts!.Release(item);
                }
            }
        }
    }

    private static async Task RunWritesAsync(WriteContext context, IReadOnlyList<WriteOp> ops)
    {
        var lockedAhead = false;
        var write = 0;
        foreach (var op in await OrderAsync(context, ops))
        {
            context.CurrentWrite = ++write;
            if (!lockedAhead && op.Key.Phase != WritePhase.First && ops.Count > 1)
            {
                // After the unkeyed writes (a recovery may change running tasks), before any keyed one.
                lockedAhead = true;
                var keyed = ops.Where(o => o.Key.Phase == WritePhase.Keyed).Select(o => o.Key).ToList();
                await context.LockAheadAsync(keyed.Where(k => k.Task is not null).Select(k => k.Task!.Value),
                    keyed.Where(k => k.Dag is not null).Select(k => k.Dag!.Value));
            }
            op.Error = null;
            var mark = context.Events.Count;
            try
            {
                await op.RunAsync(context);
            }
            catch (ApexException e)
            {
                context.UndoEvents(mark, write);
                op.Error = e;
            }
            if (op.Key.Task is { } task)
            {
                context.Forget(task);
            }
        }
    }

    /// <summary>
    /// Unkeyed writes in arrival order, then keyed writes grouped by DAG (or by task when standalone) in ascending id
    /// order, stable within a key so one task's writes keep their order, then claims.
    /// </summary>
    private static async Task<IEnumerable<WriteOp>> OrderAsync(WriteContext context, IReadOnlyList<WriteOp> ops)
    {
        if (ops.Count == 1)
        {
            return ops;
        }
        var taskIds = ops.Where(o => o.Key.Task is not null).Select(o => o.Key.Task!.Value).ToArray();
        if (taskIds.Length > 0)
        {
            await context.PreloadDagsAsync(taskIds);
        }
        return ops.OrderBy(o => o.Key.Phase).ThenBy(o => o.Key.Phase == WritePhase.Keyed ? LockKey(context, o.Key) : Guid.Empty);
    }

    private static Guid LockKey(WriteContext context, WriteKey key) =>
        key.Dag ?? (key.Task is { } task ? context.KnownDagOf(task) ?? task : Guid.Empty);

    private static Exception Map(Exception e) =>
        PostgresErrors.IsUnavailable(e) ? new ApexUnavailableException("The PostgreSQL store cannot be reached; the write may not have been applied.", e) : e;

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await Task.WhenAll(_loops);
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Error, Message = "Group commit of {Count} write(s) failed")]
    private partial void LogCommitFailed(Exception exception, int count);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Group commit of {Count} write(s) hit a database error; running each write alone")]
    private partial void LogGroupSplit(Exception exception, int count);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Group commit of {Count} write(s) lost a race with another transaction; retry {Attempt}")]
    private partial void LogRetrying(Exception exception, int count, int attempt);

    private abstract class WriteOp(WriteKey key)
    {
        public WriteKey Key { get; } = key;

        public Exception? Error { get; set; }

        public abstract Task RunAsync(WriteContext context);

        public abstract void Finish();

        public abstract void Fail(Exception exception);
    }

    private sealed class WriteOp<T>(WriteKey key, Func<WriteContext, Task<T>> work) : WriteOp(key)
    {
        private T _result = default!;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async Task RunAsync(WriteContext context) => _result = await work(context);

        public override void Finish()
        {
            if (Error is null)
            {
                Completion.TrySetResult(_result);
            }
            else
            {
                Completion.TrySetException(Error);
            }
        }

        public override void Fail(Exception exception) => Completion.TrySetException(exception);
    }
}
