using Apex.Core.Events;
using Apex.Server.Stats;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Apex.Server.Tests.Stats;

/// <summary>The collector's window arithmetic, on a fake clock.</summary>
public sealed class StatsCollectorTests
{
    private readonly ManualClock _time = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Snapshot_EventsOlderThanTheWindow_AreNoLongerCounted()
    {
        var stats = new StatsCollector(new NoBus(), _time, NullLogger<StatsCollector>.Instance);
        var task = Guid.NewGuid();
        stats.Apply(Event(task, EventTypes.TaskCreated, "{}", _time.GetUtcNow()));
        _time.Advance(TimeSpan.FromMilliseconds(250));
        stats.Apply(Event(task, EventTypes.TaskSucceeded, """{"attempt":1,"output":"x","usage":{"input_tokens":1,"output_tokens":2,"cost_usd":0.5,"api_calls":1}}""", _time.GetUtcNow()));

        var now = stats.Snapshot("default");
        Assert.Equal((1L, 0L), (now.Succeeded, now.Failed));
        Assert.Equal(250, now.LatencyMs.P50);
        Assert.Equal(30m, now.CostPerHourUsd);

        _time.Advance(TimeSpan.FromSeconds(StatsCollector.WindowSeconds));
        var later = stats.Snapshot("default");
        Assert.Equal((0L, 0L, 0), (later.Succeeded, later.Failed, later.LatencyMs.Samples));
        Assert.Equal(0m, later.CostPerHourUsd);
        Assert.Null(later.LatencyMs.P50);
    }

    [Fact]
    public void Apply_RetryThenFailure_ChargesBothAttemptsAndCountsOneFailure()
    {
        var stats = new StatsCollector(new NoBus(), _time, NullLogger<StatsCollector>.Instance);
        var task = Guid.NewGuid();
        const string usage = "\"usage\":{\"input_tokens\":1,\"output_tokens\":1,\"cost_usd\":0.25,\"api_calls\":1}";
        stats.Apply(Event(task, EventTypes.TaskRetryScheduled, $$"""{"attempt":1,{{usage}}}""", _time.GetUtcNow()));
        stats.Apply(Event(task, EventTypes.TaskFailed, $$"""{"attempt":2,{{usage}}}""", _time.GetUtcNow()));

        var snapshot = stats.Snapshot("default");
        Assert.Equal((0L, 1L, 1.0), (snapshot.Succeeded, snapshot.Failed, snapshot.ErrorRate));
        Assert.Equal(0.5m * 60, snapshot.CostPerHourUsd);
        Assert.Equal(0, snapshot.LatencyMs.Samples);
    }

    private static StoredEvent Event(Guid task, string type, string data, DateTimeOffset at) => new()
    {
        Seq = 1,
        TenantId = "default",
        AggregateType = EventTypes.Task,
        AggregateId = task,
        Version = 1,
        EventType = type,
        Data = data,
        CreatedAt = at,
    };

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }

    private sealed class NoBus : IEventBus
    {
        public void Publish(IReadOnlyList<StoredEvent> events)
        {
        }

        public EventSubscription Subscribe(Func<StoredEvent, bool> filter, int capacity = 1024) => new(filter, capacity, _ => { });
    }
}
