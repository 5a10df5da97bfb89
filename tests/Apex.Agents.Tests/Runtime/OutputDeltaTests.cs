using System.Collections.Concurrent;
using System.Text.Json;
using Apex.Agents.Runtime;
using Apex.Agents.Tests.Providers;
using Apex.Contracts.Tasks;
using Apex.Core.Agents;
using Apex.Core.Events;
using Xunit;

namespace Apex.Agents.Tests.Runtime;

/// <summary>An agent's streamed answer as <c>output_delta</c> events: built for whoever watches, not for nobody.</summary>
public sealed class OutputDeltaTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StreamedAnswer_WatchedByASubscriber_PublishesDeltasThatSpellTheOutput()
    {
        await using var host = new ProviderHost(new Dictionary<string, string?> { ["Apex:Simulated:LatencyMs"] = "0" });
        var bus = new RecordingBus(wants: true);

        var result = await RunAsync(host, bus);

        var deltas = bus.Published.Where(e => e.EventType == EventTypes.OutputDelta).ToList();
        Assert.True(deltas.Count > 3);
        Assert.Equal(result.Output, string.Concat(deltas.Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("text").GetString())));
    }

    [Fact]
    public async Task StreamedAnswer_NobodyWantsDeltas_PublishesNoneAndKeepsTheWholeOutput()
    {
        await using var host = new ProviderHost(new Dictionary<string, string?> { ["Apex:Simulated:LatencyMs"] = "0" });
        var watched = await RunAsync(host, new RecordingBus(wants: true));
        var bus = new RecordingBus(wants: false);

        var result = await RunAsync(host, bus);

        Assert.DoesNotContain(bus.Published, e => e.EventType == EventTypes.OutputDelta);
        Assert.True(bus.Asked > 3); // it asked for each piece rather than deciding once
        Assert.Equal(watched.Output, result.Output);
    }

    private static Task<AgentRunResult> RunAsync(ProviderHost host, IEventBus bus) =>
        host.Get<AgentRunner>().RunAsync(new AgentRun
        {
            Agent = new AgentDefinition { TenantId = "t", Id = Guid.NewGuid(), Name = "a", Provider = "simulated", Model = "simulated" },
            TenantId = "t",
            TaskId = Guid.NewGuid(),
            Attempt = 1,
            Instruction = "Stream a short report. [[simulate:delay=40]]",
            Limits = new TaskLimits(),
            UsedBefore = UsageDelta.None,
        }, bus, Token);

    /// <summary>Records what is published; answers <see cref="IEventBus.Wants"/> as told.</summary>
    private sealed class RecordingBus(bool wants) : IEventBus
    {
        private int _asked;

        public ConcurrentQueue<StoredEvent> Published { get; } = new();

        public int Asked => Volatile.Read(ref _asked);

        public void Publish(IReadOnlyList<StoredEvent> events)
        {
            foreach (var e in events)
            {
                Published.Enqueue(e);
            }
        }

        public EventSubscription Subscribe(Func<StoredEvent, bool> filter, int capacity = 1024) => throw new NotSupportedException();

        public bool Wants(StoredEvent e)
        {
            Interlocked.Increment(ref _asked);
            return wants;
        }
    }
}
