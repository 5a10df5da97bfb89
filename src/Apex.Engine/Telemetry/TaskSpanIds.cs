namespace Apex.Engine.Telemetry;

/// <summary>The ids a task span is tagged with.</summary>
/// <param name="TaskId">Task.</param>
/// <param name="DagId">Its DAG, if any.</param>
/// <param name="Agent">Agent name, when known.</param>
/// <param name="Attempt">Attempt (0 before the first claim).</param>
public readonly record struct TaskSpanIds(Guid TaskId, Guid? DagId, string? Agent, int Attempt);
