using System.Collections.Frozen;
using Apex.Core.Events;

namespace Apex.Server.Live;

/// <summary>The four channels of the WebSocket API and what each carries (docs/websocket.md).</summary>
internal enum LiveChannel
{
    Tasks,
    Dags,
    Agents,
    Approvals,
}

/// <summary>Channel names and the routing of events to subscriptions.</summary>
internal static class LiveChannels
{
    public const string Names = "tasks, dags, agents, approvals";

    public static bool TryParse(string? name, out LiveChannel channel)
    {
        channel = name switch
        {
            "tasks" => LiveChannel.Tasks,
            "dags" => LiveChannel.Dags,
            "agents" => LiveChannel.Agents,
            "approvals" => LiveChannel.Approvals,
            _ => (LiveChannel)(-1),
        };
        return Enum.IsDefined(channel);
    }

    public static string Name(this LiveChannel channel) => channel switch
    {
        LiveChannel.Tasks => "tasks",
        LiveChannel.Dags => "dags",
        LiveChannel.Agents => "agents",
        _ => "approvals",
    };

    /// <summary>
    /// What can be decided from the event alone, on the publisher's thread (so: nothing that reads the store): its
    /// aggregate type and the ids it carries. <see cref="Matches"/> decides the rest once the event is resolved.
    /// </summary>
    public static bool MayMatch(LiveChannel channel, LiveFilter filter, StoredEvent e) =>
        (filter.EventTypes is not { } types || types.Contains(e.EventType)) && Carries(channel, filter, e);

    private static bool Carries(LiveChannel channel, LiveFilter filter, StoredEvent e) => channel switch
    {
        LiveChannel.Tasks or LiveChannel.Agents => e.AggregateType == EventTypes.Task
            && (filter.TaskId is not { } task || e.AggregateId == task)
            && (filter.DagId is not { } dag || e.DagId == dag),
        LiveChannel.Dags => e.AggregateType switch
        {
            EventTypes.Dag => filter.DagId is not { } dag || e.AggregateId == dag,
            EventTypes.Task => e.DagId is { } taskDag && (filter.DagId is not { } dag2 || taskDag == dag2),
            _ => false,
        },
        _ => e.AggregateType == EventTypes.Approval && (filter.DagId is not { } dag3 || e.DagId == dag3),
    };

    /// <summary>
    /// Whether a live-only event (task events of seq 0: <c>output_delta</c>, …) could match at all: the approvals channel
    /// carries none (<see cref="Carries"/>), and the filter's event types may exclude them all.
    /// </summary>
    public static bool MayTakeLive(LiveChannel channel, LiveFilter filter) =>
        channel != LiveChannel.Approvals && (filter.EventTypes is not { } types || types.Overlaps(EventTypes.Live));

    /// <summary>The whole decision, on a resolved event.</summary>
    public static bool Matches(LiveChannel channel, LiveFilter filter, LiveEvent e) =>
        MayMatch(channel, filter, e.Event)
        && (filter.TaskId is not { } task || e.TaskId == task)
        && (filter.Agent is not { } agent || (e.Event.AggregateType != EventTypes.Dag && string.Equals(e.Agent, agent, StringComparison.Ordinal)));
}

/// <summary>A subscription's filter; every field given must match.</summary>
/// <param name="EventTypes">Only these event types (a client that tracks state needs no <c>output_delta</c>), or all.</param>
internal sealed record LiveFilter(Guid? DagId, Guid? TaskId, string? Agent, FrozenSet<string>? EventTypes = null)
{
    public static LiveFilter None { get; } = new(null, null, null);

    public bool IsEmpty => DagId is null && TaskId is null && Agent is null && EventTypes is null;
}
