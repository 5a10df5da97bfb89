namespace Apex.Core.Events;

/// <summary>One appended event. (aggregate_type, aggregate_id, version) is unique.</summary>
public sealed record StoredEvent
{
    /// <summary>Global order of appends; 0 for a live-only event that is never stored (see <see cref="IsLive"/>).</summary>
    public long Seq { get; init; }

    /// <summary>
    /// True for an event that is published to live subscribers and never stored: output deltas, contract warnings,
    /// cascade decisions, tool calls. It has no seq and no version, and it does not change the task's row.
    /// </summary>
    public bool IsLive => Seq == 0;

    /// <summary>Tenant.</summary>
    public required string TenantId { get; init; }

    /// <summary><c>task</c> or <c>dag</c>.</summary>
    public required string AggregateType { get; init; }

    /// <summary>The task or DAG id.</summary>
    public required Guid AggregateId { get; init; }

    /// <summary>1 for the first event of the aggregate, then +1.</summary>
    public required int Version { get; init; }

    /// <summary>Event type.</summary>
    public required string EventType { get; init; }

    /// <summary>Payload as JSON.</summary>
    public required string Data { get; init; }

    /// <summary>When.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>For a task event: the DAG of the task, to route it to DAG subscribers.</summary>
    public Guid? DagId { get; init; }
}
