using System.Globalization;
using Apex.Core;
using Apex.Core.Errors;
using Apex.Engine.Tenants;
using Apex.Redis.Events;
using Apex.Server.Security;
using StackExchange.Redis;

namespace Apex.Server.Caching;

/// <summary>Tells the other API servers that a task changed in a way that can make their cached copy stale.</summary>
internal interface ICacheInvalidationPublisher
{
    /// <summary>Fire-and-forget; never blocks or throws.</summary>
    void Publish(string tenantId, Guid taskId, int version);

    /// <summary>An API key was created or revoked: the other servers drop their cached copy. Fire-and-forget.</summary>
    void PublishApiKey(string prefix);

    /// <summary>A tenant's state or quotas changed: the other servers read its row again. Fire-and-forget.</summary>
    void PublishTenant(string tenantId);
}

/// <summary>Embedded mode: there is no other server.</summary>
internal sealed class LocalOnlyInvalidation : ICacheInvalidationPublisher
{
    public void Publish(string tenantId, Guid taskId, int version)
    {
    }

    public void PublishApiKey(string prefix)
    {
    }

    public void PublishTenant(string tenantId)
    {
    }
}

/// <summary>
/// Distributed mode: publishes <c>task:{tenant}:{id}:{version}</c> on <c>{prefix}:cache:invalidate</c> (the seed's
/// event-based invalidation) and, as a hosted service, applies what the other servers publish. A server hears its
/// own messages too; evicting twice is harmless. API keys go the same way as <c>apikey:{prefix}</c>, tenants as
/// <c>tenant:{id}</c>. The tenant directory is resolved when a message comes, not injected: it reads the store, which
/// depends on the event bus, which depends on this relay.
/// </summary>
internal sealed partial class RedisCacheInvalidationRelay(CacheInvalidation channel, TaskCacheCoherence cache, ApiKeyCache keys,
    IServiceProvider services, ILogger<RedisCacheInvalidationRelay> logger)
    : ICacheInvalidationPublisher, IHostedService
{
    private const string TenantPrefix = "tenant:";

    private IAsyncDisposable? _subscription;

    public void Publish(string tenantId, Guid taskId, int version) =>
        _ = PublishAsync(string.Concat(TaskCacheCoherence.Key(tenantId, taskId), ":", version.ToString(CultureInfo.InvariantCulture)));

    public void PublishApiKey(string prefix) => _ = PublishAsync(ApiKeyCache.Message(prefix));

    public void PublishTenant(string tenantId) => _ = PublishAsync(TenantPrefix + tenantId);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _subscription = await channel.SubscribeAsync(Apply, cancellationToken);
        }
        catch (RedisException e)
        {
            // Losing Redis must not stop the server; other servers' invalidations are missed until it restarts, and
            // entries still expire after Apex:Cache:TaskTtl.
            LogSubscribeFailed(e);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_subscription is { } subscription)
        {
            _subscription = null;
            try
            {
                await subscription.DisposeAsync();
            }
            catch (Exception e) when (e is RedisException or ObjectDisposedException)
            {
                LogSubscribeFailed(e);
            }
        }
    }

    /// <summary>Parses <c>task:{tenant}:{id}:{version}</c>; false for anything else.</summary>
    internal static bool TryParse(string message, out string tenantId, out Guid taskId, out int version)
    {
        tenantId = "";
        taskId = Guid.Empty;
        version = 0;
        var parts = message.Split(':');
        return parts is ["task", { Length: > 0 } tenant, var id, var v]
            && Guid.TryParseExact(id, "D", out taskId)
            && int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out version)
            && (tenantId = tenant) is not null;
    }

    private void Apply(string message)
    {
        if (ApiKeyCache.TryParseMessage(message, out var prefix))
        {
            _ = keys.ChangedAsync(prefix);
        }
        else if (message.StartsWith(TenantPrefix, StringComparison.Ordinal) && Tenancy.IsValid(message[TenantPrefix.Length..]))
        {
            _ = RefreshTenantAsync(message[TenantPrefix.Length..]);
        }
        else if (TryParse(message, out var tenantId, out var taskId, out var version))
        {
            _ = cache.Invalidate(tenantId, taskId, version);
        }
        else
        {
            LogMalformed(message);
        }
    }

    private async Task RefreshTenantAsync(string tenantId)
    {
        try
        {
            await services.GetRequiredService<TenantDirectory>().RefreshAsync(tenantId);
        }
        catch (Exception e) when (e is ApexUnavailableException or OperationCanceledException)
        {
            // The periodic reload (Apex:Quotas:TenantCacheTtl) picks the change up once the store answers.
            LogTenantRefreshFailed(e, tenantId);
        }
    }

    private async Task PublishAsync(string message)
    {
        try
        {
            await channel.PublishAsync(message);
        }
        catch (Exception e) when (e is RedisException or ObjectDisposedException)
        {
            // Other servers keep their copy until the TTL; this server has already evicted its own.
            LogPublishFailed(e, message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not subscribe to cache invalidations; other servers' changes reach this cache only through its TTL.")]
    private partial void LogSubscribeFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish cache invalidation {Message}.")]
    private partial void LogPublishFailed(Exception exception, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not re-read tenant {TenantId} after a change; the periodic reload will.")]
    private partial void LogTenantRefreshFailed(Exception exception, string tenantId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored malformed cache invalidation {Message}.")]
    private partial void LogMalformed(string message);
}
