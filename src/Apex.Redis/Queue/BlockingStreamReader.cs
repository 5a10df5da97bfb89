using StackExchange.Redis;

namespace Apex.Redis.Queue;

/// <summary>
/// Blocking <c>XREADGROUP … BLOCK</c> on a connection of its own. The shared multiplexer cannot block (every command
/// behind the read would wait for it), so a reader without this polls; with it, a read returns the moment an entry is
/// added and an idle reader sends one command per block time instead of a hundred polls a second. One read at a time
/// holds the connection, which is opened on the first read, from the shared multiplexer's configuration.
/// </summary>
/// <remarks>
/// A blocked read cannot be withdrawn: one whose caller gives up (shutdown) closes the connection, which Redis
/// answers by unblocking it. An entry Redis handed to it in the same microsecond stays pending for this consumer and
/// is claimed again after <see cref="RedisOptions.ClaimIdle"/>, as a dead reader's would be.
/// </remarks>
internal sealed class BlockingStreamReader(IConnectionMultiplexer shared) : IAsyncDisposable
{
    private readonly SemaphoreSlim _turn = new(1, 1);
    private ConnectionMultiplexer? _connection;
    private bool _disposed;

    /// <summary>
    /// The longest single block: half the multiplexer's async timeout, past which it would count the read as lost. A
    /// longer wait is several reads.
    /// </summary>
    public TimeSpan MaxBlock { get; } = TimeSpan.FromMilliseconds(Math.Max(1, ConfigurationOptions.Parse(shared.Configuration).AsyncTimeout / 2));

    /// <summary>Reads up to <paramref name="count"/> new entries, blocking up to <paramref name="wait"/> (positive) for the first.</summary>
    public async Task<StreamEntry[]> ReadGroupAsync(RedisKey stream, string group, string consumer, int count, TimeSpan wait, CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken);
        try
        {
            var connection = await ConnectAsync();
            // At least 1 ms: BLOCK 0 would wait for ever.
            var ms = Math.Max(1, (long)Math.Ceiling(wait.TotalMilliseconds));
            var read = connection.GetDatabase().ExecuteAsync("XREADGROUP", "GROUP", group, consumer, "COUNT", count, "BLOCK", ms, "STREAMS", stream, ">");
            try
            {
                return Parse(await read.WaitAsync(cancellationToken));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                _ = read.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                await CloseAsync();
                throw;
            }
        }
        finally
        {
            _turn.Release();
        }
    }

    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_connection is { } open)
        {
            return open;
        }
        var options = ConfigurationOptions.Parse(shared.Configuration);
        options.AbortOnConnectFail = false;
        options.ClientName = (string.IsNullOrEmpty(options.ClientName) ? "apex" : options.ClientName) + "-blocking-read";
        return _connection = await ConnectionMultiplexer.ConnectAsync(options);
    }

    private async Task CloseAsync()
    {
        if (_connection is { } open)
        {
            _connection = null;
            await open.CloseAsync(allowCommandsToComplete: false);
            await open.DisposeAsync();
        }
    }

    /// <summary>
    /// The reply of one stream: RESP2 nests it (<c>[[name, entries]]</c>), a RESP3 map comes flattened
    /// (<c>[name, entries]</c>); nil when the block ran out.
    /// </summary>
    private static StreamEntry[] Parse(RedisResult reply)
    {
        if (reply.IsNull || reply.Length == 0)
        {
            return [];
        }
        var streams = (RedisResult[])reply!;
        var entries = streams[0].Resp2Type == ResultType.Array ? ((RedisResult[])streams[0]!)[1] : streams[1];
        if (entries.IsNull)
        {
            return [];
        }
        var items = (RedisResult[])entries!;
        var parsed = new StreamEntry[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            var item = (RedisResult[])items[i]!;
            var fields = item[1].IsNull ? [] : (RedisValue[])item[1]!;
            var values = new NameValueEntry[fields.Length / 2];
            for (var f = 0; f < values.Length; f++)
            {
                values[f] = new NameValueEntry(fields[2 * f], fields[(2 * f) + 1]);
            }
            parsed[i] = new StreamEntry((RedisValue)item[0], values);
        }
        return parsed;
    }

    public async ValueTask DisposeAsync()
    {
        await _turn.WaitAsync();
        try
        {
            _disposed = true;
            await CloseAsync();
        }
        finally
        {
            _turn.Release();
        }
    }
}
