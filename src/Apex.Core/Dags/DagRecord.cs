using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;

namespace Apex.Core.Dags;

/// <summary>The projection row of a DAG.</summary>
public sealed record DagRecord
{
    /// <summary>Tenant.</summary>
    public required string TenantId { get; init; }

    /// <summary>Id.</summary>
    public required Guid Id { get; init; }

    /// <summary>Name.</summary>
    public required string Name { get; init; }

    /// <summary>Status.</summary>
    public required DagState Status { get; init; }

    /// <summary>Failure policy.</summary>
    public required FailurePolicy FailurePolicy { get; init; }

    /// <summary>Number of tasks.</summary>
    public int TaskCount { get; init; }

    /// <summary>Tasks in a terminal state.</summary>
    public int TasksDone { get; init; }

    /// <summary>DAG-level limits.</summary>
    public TaskLimits? Limits { get; init; }

    /// <summary>Labels.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>Accepted at.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Terminal at.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>Aggregate version.</summary>
    public int Version { get; init; }
}
