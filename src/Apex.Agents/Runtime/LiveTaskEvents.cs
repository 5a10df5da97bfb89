using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Apex.Core.Events;

namespace Apex.Agents.Runtime;

/// <summary>
/// Publishes the live-only events of one attempt (output deltas, contract warnings, cascade decisions, tool calls) to
/// the event bus: subscribers see them as they happen, the store never holds them (<see cref="StoredEvent.IsLive"/>).
/// </summary>
public sealed class LiveTaskEvents(IEventBus bus, AgentRun run, TimeProvider timeProvider)
{
    /// <summary>The attempt whose events these are.</summary>
    public AgentRun Run { get; } = run;

    private StoredEvent? _probe;

    /// <summary>
    /// Whether an event of <paramref name="eventType"/> could reach a subscriber now (<see cref="IEventBus.Wants"/>):
    /// the agent's output streams in a piece every few words, and one nobody watches is not worth cutting, redacting and
    /// serializing.
    /// </summary>
    public bool Wants(string eventType)
    {
        var probe = _probe is { } last && ReferenceEquals(last.EventType, eventType) ? last : _probe = Event(eventType, "{}");
        return bus.Wants(probe);
    }

    /// <summary>Publishes one event; never blocks on a subscriber.</summary>
    public void Publish<T>(string eventType, T data, JsonTypeInfo<T> typeInfo) =>
        bus.Publish([Event(eventType, JsonSerializer.Serialize(data, typeInfo))]);

    private StoredEvent Event(string eventType, string data) => new()
    {
        Seq = 0,
        TenantId = Run.TenantId,
        AggregateType = EventTypes.Task,
        AggregateId = Run.TaskId,
        Version = 0,
        EventType = eventType,
        Data = data,
        CreatedAt = timeProvider.GetUtcNow(),
        DagId = Run.DagId,
    };
}
