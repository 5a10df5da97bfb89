using System.Collections.Concurrent;
using System.Diagnostics;
using Apex.Agents.Runtime;
using Apex.Agents.Simulated;
using Apex.Agents.Tests.Security;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Apex.Agents.Tests.Runtime;

public sealed class ObservedChatClientTests
{
    private static readonly ActivitySource Probe = new(AgentTelemetry.SourceName);

    [Fact]
    public async Task Calls_TracedOnlyWhileATracerListens_EvenOneAttachedAfterTheClientWasBuilt()
    {
        var ct = TestContext.Current.CancellationToken;
        // A model name of its own: other tests' calls in this process may be traced by the listener too.
        var model = $"observed-{Guid.NewGuid():N}";
        using var loggers = LoggerFactory.Create(_ => { });
        using var client = new ObservedChatClient(new SimulatedChatClient(new SimulatedOptions { LatencyMs = 0 }, model, TimeProvider.System), loggers, Probe);
        var traced = new ConcurrentQueue<Activity>();

        await client.GetStreamingResponseAsync("Before any tracer.", cancellationToken: ct).ToChatResponseAsync(ct);
        using (var listener = Listen(traced))
        {
            await client.GetStreamingResponseAsync("While traced.", cancellationToken: ct).ToChatResponseAsync(ct);
            await client.GetResponseAsync("While traced, whole.", cancellationToken: ct);
        }
        await client.GetStreamingResponseAsync("After the tracer left.", cancellationToken: ct).ToChatResponseAsync(ct);

        var calls = traced.Where(a => Equals(a.GetTagItem("gen_ai.request.model"), model)).ToList();
        Assert.Equal(2, calls.Count);
        Assert.All(calls, a => Assert.Equal($"chat {model}", a.DisplayName));
    }

    [Theory]
    [InlineData(LogLevel.Debug, true)]
    [InlineData(LogLevel.Information, false)]
    public async Task Calls_LoggedByMicrosoftExtensionsAI_OnlyWhenItsCategoryLogsDebug(LogLevel level, bool logged)
    {
        var ct = TestContext.Current.CancellationToken;
        var recording = new RecordingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(recording).SetMinimumLevel(level));
        using var client = new ObservedChatClient(new SimulatedChatClient(new SimulatedOptions { LatencyMs = 0 }, "simulated", TimeProvider.System), loggers, Probe);

        var response = await client.GetStreamingResponseAsync("Log me.", cancellationToken: ct).ToChatResponseAsync(ct);

        Assert.StartsWith(SimulatedChatClient.Marker, response.Text, StringComparison.Ordinal);
        Assert.Equal(logged, recording.Lines.Any(l => l.Contains("GetStreamingResponseAsync", StringComparison.Ordinal)));
    }

    private static ActivityListener Listen(ConcurrentQueue<Activity> stopped)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == AgentTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
