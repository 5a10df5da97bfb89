using System.Text.Json.Serialization;
using Apex.Contracts.Common;

namespace Apex.Contracts.Dags;

/// <summary>The lifecycle state of a DAG.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<DagState>))]
public enum DagState
{
    /// <summary>Accepted; no task has started yet.</summary>
    Pending,
    /// <summary>At least one task has started and the DAG is not finished.</summary>
    Running,
    /// <summary>Every task succeeded.</summary>
    Succeeded,
    /// <summary>A task failed (or was cancelled) and the DAG finished.</summary>
    Failed,
    /// <summary>The DAG was cancelled.</summary>
    Cancelled,
}
