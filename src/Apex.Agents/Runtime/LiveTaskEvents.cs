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

    /// <summary>Publishes one event; never blocks on a subscriber.</summary>
    public void Publish<T>(string eventType, T data, JsonTypeInfo<T> typeInfo) =>
        bus.Publish([new StoredEvent
        {
            Seq = 0,
            TenantId = Run.TenantId,
            AggregateType = EventTypes.Task,
            AggregateId = Run.TaskId,
            Version = 0,
            EventType = eventType,
            Data = JsonSerializer.Serialize(data, typeInfo),
            CreatedAt = timeProvider.GetUtcNow(),
            DagId = Run.DagId,
        }]);
}
