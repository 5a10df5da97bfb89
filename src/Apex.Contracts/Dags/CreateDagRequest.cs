using Apex.Contracts.Tasks;

namespace Apex.Contracts.Dags;

/// <summary>Body of <c>POST /api/v1/dags</c>.</summary>
public sealed record CreateDagRequest
{
    /// <summary>DAG name.</summary>
    public string? Name { get; init; }

    /// <summary>The nodes.</summary>
    public List<DagTaskSpec>? Tasks { get; init; }

    /// <summary>Extra edges, in addition to each task's <c>depends_on</c>.</summary>
    public List<DagEdgeSpec>? Dependencies { get; init; }

    /// <summary>Default limits for tasks that set none.</summary>
    public TaskLimits? Limits { get; init; }

    /// <summary><c>fail_fast</c> (default) or <c>continue</c>.</summary>
    public FailurePolicy? FailurePolicy { get; init; }

    /// <summary>Priority of every task of the DAG.</summary>
    public int? Priority { get; init; }

    /// <summary>Labels.</summary>
    public Dictionary<string, string>? Metadata { get; init; }
}

/// <summary>A node of a DAG.</summary>
public sealed record DagTaskSpec
{
    /// <summary>Id inside the DAG: 1–128 characters of <c>[A-Za-z0-9_.-]</c>.</summary>
    public string? Id { get; init; }

    /// <summary>Name; the id when absent.</summary>
    public string? Name { get; init; }

    /// <summary>Instruction; may reference <c>{{tasks.&lt;id&gt;.output}}</c> of a dependency.</summary>
    public string? Instruction { get; init; }

    /// <summary>Agent name.</summary>
    public string? Agent { get; init; }

    /// <summary>Maximum attempts.</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>Limits of this task.</summary>
    public TaskLimits? Limits { get; init; }

    /// <summary>A JSON Schema this task's output must satisfy (see <see cref="Tasks.CreateTaskRequest.OutputSchema"/>).</summary>
    public System.Text.Json.JsonElement? OutputSchema { get; init; }

    /// <summary>Ids of the tasks this one waits for.</summary>
    public List<string>? DependsOn { get; init; }
}

/// <summary>An edge: <c>to</c> runs after <c>from</c> succeeded.</summary>
public sealed record DagEdgeSpec(string From, string To);
