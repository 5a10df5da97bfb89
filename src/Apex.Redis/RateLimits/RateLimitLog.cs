using Microsoft.Extensions.Logging;

namespace Apex.Redis.RateLimits;

internal static partial class RateLimitLog
{
    [LoggerMessage(EventId = 6101, Level = LogLevel.Warning, Message = "Redis is unreachable; calls to provider {Provider} and the others go out without the shared rate limit until it returns")]
    public static partial void Unreachable(ILogger logger, Exception exception, string provider);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Information, Message = "Redis is reachable again; the shared rate limits apply")]
    public static partial void Reachable(ILogger logger);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Warning, Message = "Redis is unreachable; requests go through without the shared tenant and key rate limits until it returns")]
    public static partial void QuotaUnreachable(ILogger logger, Exception exception);
}
