using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;

namespace Apex.Testing;

/// <summary>Terse builders of request records.</summary>
public static class Specs
{
    /// <summary>A DAG node.</summary>
    public static DagTaskSpec Node(string id, string instruction, params string[] dependsOn) =>
        new() { Id = id, Instruction = instruction, DependsOn = dependsOn.Length == 0 ? null : [.. dependsOn] };

    /// <summary>A DAG of <paramref name="nodes"/>.</summary>
    public static CreateDagRequest Dag(params DagTaskSpec[] nodes) => new() { Name = "test", Tasks = [.. nodes] };

    /// <summary>A DAG of <paramref name="nodes"/> with a failure policy.</summary>
    public static CreateDagRequest Dag(FailurePolicy policy, params DagTaskSpec[] nodes) => Dag(nodes) with { FailurePolicy = policy };

    /// <summary>A standalone task.</summary>
    public static CreateTaskRequest TaskRequest(string instruction, string? agent = null, int? priority = null) =>
        new() { Name = "test", Instruction = instruction, Agent = agent, Priority = priority };
}
