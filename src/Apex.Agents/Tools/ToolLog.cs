using Microsoft.Extensions.Logging;

namespace Apex.Agents.Tools;

/// <summary>Log messages of the tools (event ids 45xx). Never the URL's path or query, arguments or results: they may carry secrets.</summary>
internal static partial class ToolLog
{
    [LoggerMessage(EventId = 4501, Level = LogLevel.Warning, Message = "Refused a call of tool {Tool}: it was not offered to task {TaskId}")]
    public static partial void CallRefused(this ILogger logger, string tool, Guid taskId);

    [LoggerMessage(EventId = 4502, Level = LogLevel.Warning, Message = "Blocked http_fetch of host {Host} for task {TaskId}: {Reason}")]
    public static partial void FetchBlocked(this ILogger logger, string host, Guid taskId, string reason);

    [LoggerMessage(EventId = 4503, Level = LogLevel.Information, Message = "http_fetch of host {Host} for task {TaskId} failed: {Reason}")]
    public static partial void FetchFailed(this ILogger logger, string host, Guid taskId, string reason);

    [LoggerMessage(EventId = 4511, Level = LogLevel.Warning, Message = "MCP server {Server} is unavailable; its tools are not offered")]
    public static partial void McpServerUnavailable(this ILogger logger, Exception exception, string server);

    [LoggerMessage(EventId = 4512, Level = LogLevel.Warning, Message = "MCP server {Server} is configured with command {Command}, which Apex:Tools:Mcp:AllowedCommands does not list; not started")]
    public static partial void McpCommandNotAllowed(this ILogger logger, string server, string command);
}
