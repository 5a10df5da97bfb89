namespace Apex.Core.Dags;

/// <summary>Limits on submitted DAGs (configuration section <c>Apex:Dags</c>).</summary>
public sealed class DagOptions
{
    /// <summary>Most nodes one DAG may have.</summary>
    public int MaxNodes { get; set; } = 10_000;

    /// <summary>Most edges one DAG may have.</summary>
    public int MaxEdges { get; set; } = 100_000;
}
