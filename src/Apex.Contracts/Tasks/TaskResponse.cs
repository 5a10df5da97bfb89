namespace Apex.Contracts.Tasks;

/// <summary>A task as the API shows it.</summary>
public sealed record TaskResponse
{
    /// <summary>Task id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The DAG the task belongs to, if any.</summary>
    public Guid? DagId { get; init; }

    /// <summary>The task's id inside its DAG.</summary>
    public string? Key { get; init; }

    /// <summary>Name.</summary>
    public required string Name { get; init; }

    /// <summary>The instruction, with dependency outputs substituted once the task is queued.</summary>
    public required string Instruction { get; init; }

    /// <summary>Agent name.</summary>
    public required string Agent { get; init; }

    /// <summary>Status.</summary>
    public required TaskState Status { get; init; }

    /// <summary>Priority.</summary>
    public int Priority { get; init; }

    /// <summary>The current (or last) attempt, starting at 1; 0 before the first claim.</summary>
    public int Attempt { get; init; }

    /// <summary>Maximum attempts.</summary>
    public int MaxAttempts { get; init; }

    /// <summary>The agent's output once succeeded.</summary>
    public string? Output { get; init; }

    /// <summary>The error once failed, cancelled or skipped.</summary>
    public TaskError? Error { get; init; }

    /// <summary>Usage over every attempt.</summary>
    public required TaskUsage Usage { get; init; }

    /// <summary>The effective cost contract.</summary>
    public required TaskLimits Limits { get; init; }

    /// <summary>Labels.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>The JSON Schema the task's output must satisfy, when the task set one.</summary>
    public System.Text.Json.JsonElement? OutputSchema { get; init; }

    /// <summary>When accepted.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the current attempt started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When it reached a terminal status.</summary>
    public DateTimeOffset? FinishedAt { get; init; }
}
