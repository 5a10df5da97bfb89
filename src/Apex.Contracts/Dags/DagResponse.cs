using Apex.Contracts.Tasks;

namespace Apex.Contracts.Dags;

/// <summary>A DAG as the API shows it.</summary>
public sealed record DagResponse
{
    /// <summary>DAG id.</summary>
    public required Guid Id { get; init; }

    /// <summary>Name.</summary>
    public required string Name { get; init; }

    /// <summary>Status.</summary>
    public required DagState Status { get; init; }

    /// <summary>Failure policy.</summary>
    public FailurePolicy FailurePolicy { get; init; }

    /// <summary>Number of tasks.</summary>
    public int TaskCount { get; init; }

    /// <summary>Usage summed over the DAG's tasks.</summary>
    public TaskUsage? Usage { get; init; }

    /// <summary>Labels.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>When accepted.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it reached a terminal status.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>The DAG's tasks (on create and on <c>GET /dags/{id}</c>).</summary>
    public IReadOnlyList<DagTaskSummary>? Tasks { get; init; }
}

/// <summary>A task of a DAG, in brief.</summary>
public sealed record DagTaskSummary
{
    /// <summary>Id inside the DAG.</summary>
    public required string Key { get; init; }

    /// <summary>Task id.</summary>
    public required Guid Id { get; init; }

    /// <summary>Status.</summary>
    public required TaskState Status { get; init; }

    /// <summary>Keys of its dependencies.</summary>
    public IReadOnlyList<string>? DependsOn { get; init; }
}
