using Apex.Agents.Approvals;
using Apex.Core.Errors;
using Apex.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Apex.Engine.Approvals;

/// <summary>
/// Fails the tasks whose approvals nobody decided in time (<c>approval_expired</c>): once at start, so what expired while
/// no server ran is failed at once, then every <see cref="ApprovalOptions.SweepInterval"/>. Each expiry is a
/// compare-and-set in the store, so several servers may sweep at once.
/// </summary>
internal sealed partial class ApprovalSweeper(
    IApexStore store,
    ApexEngine engine,
    IOptions<ApprovalOptions> options,
    TimeProvider timeProvider,
    ILogger<ApprovalSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, timeProvider);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (ApexUnavailableException e)
            {
                // The store is not up yet or unreachable: the next tick tries again.
                LogSweepFailed(e);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        var batch = options.Value.SweepBatch;
        while (true)
        {
            var outcome = await store.ExpireApprovalsAsync(batch, cancellationToken);
            engine.Apply(outcome.Changes);
            // A full batch may have left more behind; fewer means the sweep is done.
            if (outcome.Expired < batch)
            {
                return;
            }
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 2301, Level = LogLevel.Warning, Message = "Expiring approvals failed; retrying at the next sweep")]
    private partial void LogSweepFailed(Exception exception);
}
