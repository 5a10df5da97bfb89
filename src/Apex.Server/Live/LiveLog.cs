namespace Apex.Server.Live;

internal static partial class LiveLog
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Could not resolve the task of {AggregateType} {AggregateId} for live routing")]
    public static partial void ResolveFailed(this ILogger logger, Exception exception, string aggregateType, Guid aggregateId);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Debug, Message = "Closing WebSocket {ConnectionId}: {Reason}")]
    public static partial void Closing(this ILogger logger, string connectionId, string reason);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Critical, Message = "The WebSocket live feed failed; every socket was closed and the feed restarts with the next subscription")]
    public static partial void FeedFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Replay for WebSocket {ConnectionId} subscription {Subscription} failed")]
    public static partial void ReplayFailed(this ILogger logger, Exception exception, string connectionId, string subscription);
}
