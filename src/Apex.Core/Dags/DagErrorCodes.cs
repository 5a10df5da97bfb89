namespace Apex.Core.Dags;

/// <summary>The stable <c>code</c> of each DAG validation failure.</summary>
public static class DagErrorCodes
{
    /// <summary>The DAG has no task.</summary>
    public const string Empty = "dag_empty";

    /// <summary>More nodes than <see cref="DagOptions.MaxNodes"/>.</summary>
    public const string TooLarge = "dag_too_large";

    /// <summary>More edges than <see cref="DagOptions.MaxEdges"/>.</summary>
    public const string TooManyEdges = "dag_too_many_edges";

    /// <summary>A node id is missing or not 1–128 characters of <c>[A-Za-z0-9_.-]</c>.</summary>
    public const string InvalidTaskId = "dag_invalid_task_id";

    /// <summary>Two nodes share an id.</summary>
    public const string DuplicateTaskId = "dag_duplicate_task_id";

    /// <summary>An edge names a node that does not exist.</summary>
    public const string UnknownDependency = "dag_unknown_dependency";

    /// <summary>A node depends on itself.</summary>
    public const string SelfDependency = "dag_self_dependency";

    /// <summary>The edges form a cycle.</summary>
    public const string Cycle = "dag_cycle";

    /// <summary>An instruction references the output of a node that does not exist.</summary>
    public const string UnknownOutputReference = "dag_unknown_output_reference";

    /// <summary>An instruction references the output of a node it does not depend on.</summary>
    public const string OutputReferenceNotDependency = "dag_output_reference_not_dependency";

    /// <summary>A node lacks a required field or has an out-of-range value.</summary>
    public const string InvalidTask = "dag_invalid_task";
}
