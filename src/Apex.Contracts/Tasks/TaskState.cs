using System.Text.Json.Serialization;
using Apex.Contracts.Common;

namespace Apex.Contracts.Tasks;

/// <summary>The lifecycle state of a task.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<TaskState>))]
public enum TaskState
{
    /// <summary>Waiting for its dependencies to succeed.</summary>
    Pending,
    /// <summary>Ready to run; waiting for a worker.</summary>
    Queued,
    /// <summary>Claimed by a worker and executing.</summary>
    Running,
    /// <summary>Paused until a human approves or rejects an action.</summary>
    AwaitingApproval,
    /// <summary>Finished with an output.</summary>
    Succeeded,
    /// <summary>Finished with an error after its last attempt.</summary>
    Failed,
    /// <summary>Cancelled by a user or by its DAG.</summary>
    Cancelled,
    /// <summary>Never ran because a dependency failed or was cancelled.</summary>
    Skipped,
}
