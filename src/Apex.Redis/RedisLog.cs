using Microsoft.Extensions.Logging;

namespace Apex.Redis;

/// <summary>Log messages of Apex.Redis (event ids 6xxx).</summary>
internal static partial class RedisLog
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Dropped malformed entry {EntryId} of stream {Stream}: {Reason}")]
    public static partial void MalformedEntry(this ILogger logger, string entryId, string stream, string reason);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "Consumer group {Group} was missing on stream {Stream}; recreated")]
    public static partial void GroupRecreated(this ILogger logger, string group, string stream);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Information, Message = "Reaped {Count} abandoned work entr(ies) idle longer than {MinIdle}")]
    public static partial void WorkReaped(this ILogger logger, int count, TimeSpan minIdle);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Information, Message = "Claimed {Count} abandoned result(s) for consumer {Consumer}")]
    public static partial void ResultsClaimed(this ILogger logger, int count, string consumer);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Warning, Message = "Dropped malformed message on channel {Channel}")]
    public static partial void MalformedChannelMessage(this ILogger logger, Exception exception, string channel);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Warning, Message = "Publishing events to Redis failed; live subscribers of other servers miss {Count} event(s)")]
    public static partial void PublishFailed(this ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 6013, Level = LogLevel.Warning, Message = "Subscribing to channel {Channel} failed; retried on the next subscriber")]
    public static partial void SubscribeFailed(this ILogger logger, Exception exception, string channel);

    [LoggerMessage(EventId = 6014, Level = LogLevel.Error, Message = "A handler of channel {Channel} threw")]
    public static partial void HandlerFailed(this ILogger logger, Exception exception, string channel);
}
