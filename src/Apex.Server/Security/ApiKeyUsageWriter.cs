using Apex.Core.Errors;
using Apex.Core.Security;
using Microsoft.Extensions.Options;

namespace Apex.Server.Security;

/// <summary>Writes the keys' last-used times every <c>Apex:Auth:LastUsedInterval</c>, and once more on shutdown.</summary>
internal sealed partial class ApiKeyUsageWriter(ApiKeyUsage usage, IApiKeyStore store, TimeProvider time, IOptions<AuthOptions> options,
    ILogger<ApiKeyUsageWriter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.LastUsedInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await WriteAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await WriteAsync(CancellationToken.None);
        }
    }

    internal async Task WriteAsync(CancellationToken cancellationToken)
    {
        var changed = usage.TakeChanged();
        if (changed.Count == 0)
        {
            return;
        }
        try
        {
            await store.TouchApiKeysAsync(changed, cancellationToken);
        }
        catch (ApexUnavailableException e)
        {
            usage.Unwritten(changed);
            LogFailed(e, changed.Count);
        }
    }

    [LoggerMessage(EventId = 4110, Level = LogLevel.Warning, Message = "Could not record the last use of {Count} API key(s); retrying at the next interval.")]
    private partial void LogFailed(Exception exception, int count);
}
