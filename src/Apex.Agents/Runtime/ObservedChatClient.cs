using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Apex.Agents.Runtime;

/// <summary>
/// Puts Microsoft.Extensions.AI's telemetry layers around a provider's client only for the calls somebody observes:
/// OpenTelemetry (and logging) while a tracer listens to <see cref="AgentTelemetry.SourceName"/>, logging alone while
/// its category logs at <see cref="LogLevel.Debug"/>, neither otherwise. Decided per call, so a listener attached later
/// sees the next call. Unobserved, each layer still cost every streamed chunk a pass through it and kept every chunk to
/// assemble a response nobody read: a seventh of the server's work with 10,000 streaming agents (docs/performance.md).
/// </summary>
internal sealed class ObservedChatClient : IChatClient
{
    private readonly IChatClient _plain;
    private readonly IChatClient _logged;
    private readonly IChatClient _traced;
    private readonly ActivitySource _probe;
    private readonly ILogger _log;

    public ObservedChatClient(IChatClient client, ILoggerFactory loggerFactory, ActivitySource probe)
    {
        _plain = client;
        _logged = new ChatClientBuilder(client).UseLogging(loggerFactory).Build();
        _traced = new ChatClientBuilder(client).UseLogging(loggerFactory).UseOpenTelemetry(loggerFactory, sourceName: AgentTelemetry.SourceName).Build();
        _probe = probe;
        _log = loggerFactory.CreateLogger(typeof(LoggingChatClient));
    }

    private IChatClient Current => _probe.HasListeners() ? _traced : _log.IsEnabled(LogLevel.Debug) ? _logged : _plain;

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Current.GetResponseAsync(messages, options, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default) =>
        Current.GetStreamingResponseAsync(messages, options, cancellationToken);

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : _traced.GetService(serviceType, serviceKey);

    /// <inheritdoc />
    public void Dispose() => _traced.Dispose();
}
