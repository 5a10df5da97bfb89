using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;

namespace Apex.Core.Dags;

/// <summary>A validated DAG: nodes in topological order, with dependency indices into <see cref="Nodes"/>.</summary>
public sealed record DagPlan
{
    /// <summary>DAG name.</summary>
    public required string Name { get; init; }

    /// <summary>Failure policy.</summary>
    public required FailurePolicy FailurePolicy { get; init; }

    /// <summary>Priority of every task.</summary>
    public int Priority { get; init; }

    /// <summary>DAG-level default limits.</summary>
    public TaskLimits? Limits { get; init; }

    /// <summary>Labels.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>Nodes in a topological order: every node comes after its dependencies.</summary>
    public required IReadOnlyList<DagNode> Nodes { get; init; }

    /// <summary>Number of distinct edges.</summary>
    public int EdgeCount { get; init; }
}

/// <summary>A validated node.</summary>
public sealed record DagNode
{
    /// <summary>Position in <see cref="DagPlan.Nodes"/>.</summary>
    public required int Index { get; init; }

    /// <summary>Position of the node in the submitted <c>tasks</c> list, for error paths.</summary>
    public int SourceIndex { get; init; }

    /// <summary>Id inside the DAG.</summary>
    public required string Key { get; init; }

    /// <summary>Name.</summary>
    public required string Name { get; init; }

    /// <summary>Instruction template.</summary>
    public required string Instruction { get; init; }

    /// <summary>Agent name, or null for the default agent.</summary>
    public string? Agent { get; init; }

    /// <summary>Maximum attempts, or null for the default.</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>Limits, or null for the DAG's.</summary>
    public TaskLimits? Limits { get; init; }

    /// <summary>The JSON Schema the node's output must satisfy (raw JSON), or null.</summary>
    public string? OutputSchema { get; init; }

    /// <summary>Indices of its dependencies (all smaller than <see cref="Index"/>).</summary>
    public required IReadOnlyList<int> Dependencies { get; init; }
}
