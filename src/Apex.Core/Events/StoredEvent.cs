namespace Apex.Core.Events;

/// <summary>One appended event. (aggregate_type, aggregate_id, version) is unique.</summary>
public sealed record StoredEvent
{
    /// <summary>Global order of appends.</summary>
    public long Seq { get; init; }

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
