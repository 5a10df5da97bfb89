using Apex.Core.Errors;
using Apex.Core.Security;
using Microsoft.Extensions.Options;

namespace Apex.Server.Audit;

/// <summary>
/// Appends what <see cref="AuditTrail"/> queued, up to <see cref="AuditOptions.MaxBatch"/> entries per transaction, with an
/// <c>audit.dropped</c> entry after them when some were dropped. While the store is unreachable it retries the same
/// batch every <see cref="AuditOptions.RetryDelay"/> (the queue fills meanwhile, then drops and counts). On shutdown it
/// appends what is still queued.
/// </summary>
internal sealed partial class AuditWriter(AuditTrail trail, IAuditStore store, IOptions<AuditOptions> options, TimeProvider time,
    ILogger<AuditWriter> logger) : BackgroundService
{
    private readonly AuditOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await trail.Reader.WaitToReadAsync(stoppingToken))
            {
                await WriteAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down: StopAsync appends the rest
        }
    }

    /// <summary>
    /// Stops the loop, then appends what is still queued. Here rather than at the end of <see cref="ExecuteAsync"/>: a
    /// host stopping right after it started cancels the loop before it ever runs.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        do
        {
            if (!await WriteAsync(CancellationToken.None, retry: false))
            {
                break;
            }
        }
        while (trail.Reader.TryPeek(out _));
    }

    /// <summary>Appends one batch of what is queued (and the drop count); false when the store refused it and retry is off.</summary>
    internal async Task<bool> WriteAsync(CancellationToken cancellationToken, bool retry = true)
    {
        var batch = new List<AuditEvent>(Math.Min(_options.MaxBatch, trail.Reader.Count + 1));
        while (batch.Count < _options.MaxBatch && trail.Reader.TryRead(out var e))
        {
            batch.Add(e);
        }
        if (trail.TakeDropped() is { } dropped)
        {
            batch.Add(dropped);
        }
        if (batch.Count == 0)
        {
            return true;
        }
        while (true)
        {
            try
            {
                // Not cancelled by shutdown: the batch is out of the queue, so this append is its last chance.
                await store.AppendAuditAsync(batch, CancellationToken.None);
                return true;
            }
            catch (ApexUnavailableException e) when (retry)
            {
                LogRetrying(e, batch.Count, _options.RetryDelay);
                retry = await DelayAsync(cancellationToken);
            }
            catch (ApexUnavailableException e)
            {
                LogLost(e, batch.Count);
                return false;
            }
        }
    }

    /// <summary>Waits <see cref="AuditOptions.RetryDelay"/>; false when shutdown cut the wait (one last attempt follows).</summary>
    private async Task<bool> DelayAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(_options.RetryDelay, time, cancellationToken);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 4200, Level = LogLevel.Warning, Message = "Could not append {Count} audit entries; retrying in {Delay}.")]
    private partial void LogRetrying(Exception exception, int count, TimeSpan delay);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Error, Message = "Lost {Count} audit entries: the store could not be reached before shutdown.")]
    private partial void LogLost(Exception exception, int count);
}
