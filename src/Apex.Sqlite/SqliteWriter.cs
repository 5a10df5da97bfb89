using System.Threading.Channels;
using Apex.Core.Errors;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Apex.Sqlite;

/// <summary>
/// Group commit: every write goes through one channel to one connection; the writer takes all the writes waiting
/// at that moment (up to <see cref="SqliteOptions.MaxBatch"/>) and runs them in one transaction, on a thread of its own;
/// one write's domain error never undoes another's (see <see cref="Commit"/>). Callers are answered only after the
/// commit, and the batch's events are published only then.
/// </summary>
internal sealed partial class SqliteWriter : IAsyncDisposable
{
    private readonly Channel<WriteOp> _channel;
    private readonly SqliteConnection _connection;
    private readonly WriteContext _context;
    private readonly IEventBus _bus;
    private readonly SqliteOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private readonly List<(DispatchItem Item, TaskRecord Task)> _started = [];

    public SqliteWriter(SqliteConnection connection, IEventBus bus, SqliteOptions options, TimeProvider timeProvider, ILogger logger)
    {
        _connection = connection;
        _bus = bus;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        _context = new WriteContext(connection);
        _channel = Channel.CreateBounded<WriteOp>(new BoundedChannelOptions(options.MaxPendingWrites)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Factory.StartNew(Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Offers the tasks later writes make ready to <paramref name="starts"/> (see <see cref="IEagerStarts"/>).</summary>
    public void UseEagerStarts(IEagerStarts starts) => Volatile.Write(ref _starts, starts);

    private IEagerStarts? _starts;

    /// <summary>Runs <paramref name="work"/> in the next group commit and returns its result once committed.</summary>
    public async Task<T> WriteAsync<T>(Func<WriteContext, T> work, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var op = new WriteOp<T>(work);
        if (!_channel.Writer.TryWrite(op))
        {
            await QueueAsync(op, cancellationToken);
        }
        // Once queued the write will be committed or failed as a whole; waiting for it ignores the caller's token so
        // that an acknowledged-or-not answer is never guessed.
        return await op.Completion.Task;
    }

    /// <summary>Waits for room in a full queue, up to <see cref="SqliteOptions.WriteTimeout"/> (a queue with room takes a write at once, with no timer).</summary>
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
            throw new ApexUnavailableException("The embedded store is saturated; try again shortly.");
        }
        catch (ChannelClosedException e)
        {
            throw new ApexUnavailableException("The embedded store is shutting down.", e);
        }
    }

    private void Run()
    {
        var batch = new List<WriteOp>(_options.MaxBatch);
        var reader = _channel.Reader;
        while (WaitToRead(reader))
        {
            batch.Clear();
            while (batch.Count < _options.MaxBatch && reader.TryRead(out var op))
            {
                batch.Add(op);
            }
            Commit(batch);
        }
        _context.DisposeCommands();
    }

    /// <summary>
    /// Blocks the writer's own thread until writes wait. Awaiting instead would hand every batch after the first to the
    /// thread pool, behind the continuations of thousands of running agents.
    /// </summary>
    private static bool WaitToRead(ChannelReader<WriteOp> reader)
    {
        var waiting = reader.WaitToReadAsync();
        return waiting.IsCompletedSuccessfully ? waiting.Result : waiting.AsTask().GetAwaiter().GetResult();
    }

    private void Commit(List<WriteOp> batch)
    {
        // Optimistic first: the whole batch without a savepoint per write (two statements fewer per write). A write that
        // fails with a domain error is rare; then the transaction is rolled back and the batch runs again with one
        // savepoint per write, so only that write is undone. Writes are functions of the database, so running one
        // again after a rollback gives what it would have given the first time.
        var published = new List<StoredEvent>();
        _context.Starts = Volatile.Read(ref _starts);
        try
        {
            if (!TryRun(batch, published, savepoints: false))
            {
                published.Clear();
                if (batch.Count > 1)
                {
                    _ = TryRun(batch, published, savepoints: true); // a batch of one has nothing else to keep
                }
            }
        }
        catch (SqliteException e)
        {
            ReleaseStarts();
            LogCommitFailed(e, batch.Count);
            foreach (var op in batch)
            {
                op.Fail(new ApexUnavailableException("The embedded store could not commit; nothing was written.", e));
            }
            return;
        }
        catch (Exception e)
        {
            // A bug in a write: fail the batch loudly rather than guess what was committed.
            ReleaseStarts();
            LogCommitFailed(e, batch.Count);
            foreach (var op in batch)
            {
                op.Fail(e);
            }
            return;
        }
        try
        {
            foreach (var op in batch)
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
            // Last: the callers' answers are queued to the thread pool ahead of the work of the tasks started here. And
            // always: these claims are committed, so their reserved workers must get them.
            foreach (var (item, task) in _started)
            {
                _context.Starts!.Start(item, task);
            }
            _started.Clear();
        }
    }

    /// <summary>
    /// Runs the batch in one transaction and commits it. Without <paramref name="savepoints"/> the first domain error rolls
    /// everything back, stays with its write and returns false; with them, each write runs in its own savepoint and a
    /// domain error undoes only its write.
    /// </summary>
    private bool TryRun(List<WriteOp> batch, List<StoredEvent> published, bool savepoints)
    {
        using var transaction = _connection.BeginTransaction(deferred: false);
        _context.Transaction = transaction;
        _context.Now = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var op in batch)
        {
            op.Error = null;
            _context.Events.Clear();
            if (savepoints)
            {
                _context.Execute("SAVEPOINT w");
            }
            try
            {
                op.Run(_context);
                if (savepoints)
                {
                    _context.Execute("RELEASE w");
                }
                published.AddRange(_context.Events);
                _started.AddRange(_context.Started);
                _context.Started.Clear();
            }
            catch (Exception e) when (e is ApexException or SqliteException { SqliteErrorCode: 19 })
            {
                op.Error = e;
                if (!savepoints)
                {
                    transaction.Rollback();
                    ReleaseStarts();
                    return false;
                }
                _context.Execute("ROLLBACK TO w");
                _context.Execute("RELEASE w");
                ReleaseStarts(_context.Started); // this write's claims were rolled back with it
            }
        }
        transaction.Commit();
        return true;
    }

    /// <summary>Gives back the reservations of claims that will not be committed: the whole batch's.</summary>
    private void ReleaseStarts()
    {
        ReleaseStarts(_context.Started);
        ReleaseStarts(_started);
    }

    private void ReleaseStarts(List<(DispatchItem Item, TaskRecord Task)> started)
    {
        foreach (var (item, _) in started)
        {
            _context.Starts!.Release(item);
        }
        started.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _loop;
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Group commit of {Count} write(s) failed")]
    private partial void LogCommitFailed(Exception exception, int count);

    private abstract class WriteOp
    {
        public Exception? Error { get; set; }

        public abstract void Run(WriteContext context);

        public abstract void Finish();

        public abstract void Fail(Exception exception);
    }

    private sealed class WriteOp<T>(Func<WriteContext, T> work) : WriteOp
    {
        private T _result = default!;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Run(WriteContext context) => _result = work(context);

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
