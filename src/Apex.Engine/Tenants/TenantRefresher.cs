using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Apex.Engine.Tenants;

/// <summary>Reloads the <see cref="TenantDirectory"/> every <see cref="QuotaOptions.TenantCacheTtl"/>: the bound when a change message is lost.</summary>
internal sealed partial class TenantRefresher(TenantDirectory tenants, IOptions<QuotaOptions> options, TimeProvider time, ILogger<TenantRefresher> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.TenantCacheTtl, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await tenants.LoadAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The store is down: the last copy stays in force until it answers again.
                    LogReloadFailed(e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(EventId = 2301, Level = LogLevel.Warning, Message = "Reloading the tenants' state and quotas failed; the last copy stays in force")]
    private partial void LogReloadFailed(Exception exception);
}
