using System.Text.Json;

namespace Apex.Contracts.Tasks;

/// <summary>One entry of a task's (or DAG's) event history.</summary>
public sealed record TaskEventResponse
{
    /// <summary>Global, increasing sequence number.</summary>
    public long Seq { get; init; }

    /// <summary><c>task</c> or <c>dag</c>.</summary>
    public string AggregateType { get; init; } = "task";

    /// <summary>The task or DAG the event belongs to.</summary>
    public Guid AggregateId { get; init; }

    /// <summary>The DAG of the task (or the DAG itself), if any.</summary>
    public Guid? DagId { get; init; }

    /// <summary>Per-aggregate version, starting at 1.</summary>
    public int Version { get; init; }

    /// <summary>Event type, such as <c>task_succeeded</c>.</summary>
    public required string EventType { get; init; }

    /// <summary>Event payload.</summary>
    public JsonElement Data { get; init; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset CreatedAt { get; init; }
}
