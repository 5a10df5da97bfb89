using Microsoft.Extensions.Logging;

namespace Apex.Agents.Providers;

internal static partial class ProviderLog
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "Provider {Provider} failed with {Code}; retry {Retry} in {DelayMs} ms")]
    public static partial void Retrying(ILogger logger, string provider, string code, int retry, double delayMs);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Provider {Provider} keeps failing; its circuit is open for {BreakSeconds} s and calls fail over")]
    public static partial void CircuitOpened(ILogger logger, string provider, double breakSeconds);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Information, Message = "Provider {Provider} circuit half-open; one trial call goes through")]
    public static partial void CircuitHalfOpened(ILogger logger, string provider);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Information, Message = "Provider {Provider} circuit closed; calls flow again")]
    public static partial void CircuitClosed(ILogger logger, string provider);
}
