using Apex.Contracts.Tasks;
using Apex.Core.Storage;

namespace Apex.Core.Events;

/// <summary>
/// The agent a <see cref="EventTypes.TaskCreated"/> payload names, and nothing else: a reader that routes events by agent
/// reads it without materializing the instruction, limits and metadata beside it.
/// </summary>
/// <param name="Agent">Agent.</param>
public sealed record TaskAgentData(string? Agent);

/// <summary>Payload of <see cref="EventTypes.TaskCreated"/>: the whole initial row.</summary>
public sealed record TaskCreatedData
{
    /// <summary>DAG.</summary>
    public Guid? DagId { get; init; }

    /// <summary>Key in the DAG.</summary>
    public string? Key { get; init; }

    /// <summary>Name.</summary>
    public required string Name { get; init; }

    /// <summary>Instruction as submitted.</summary>
    public required string Instruction { get; init; }

    /// <summary>Agent.</summary>
    public required string Agent { get; init; }

    /// <summary>Initial status: pending or queued.</summary>
    public required TaskState Status { get; init; }

    /// <summary>Priority.</summary>
    public int Priority { get; init; }

    /// <summary>Maximum attempts.</summary>
    public int MaxAttempts { get; init; }

    /// <summary>Limits.</summary>
    public required TaskLimits Limits { get; init; }

    /// <summary>Labels.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>The JSON Schema the output must satisfy (raw JSON), if the task set one.</summary>
    public string? OutputSchema { get; init; }

    /// <summary>W3C traceparent of the submission, carried to every attempt (null when nobody traced it).</summary>
    public string? TraceParent { get; init; }

    /// <summary>W3C tracestate of the submission, or null.</summary>
    public string? TraceState { get; init; }

    /// <summary>Dependency keys, for DAG tasks.</summary>
    public IReadOnlyList<string>? DependsOn { get; init; }

    /// <summary>The payload recording the insertion of <paramref name="task"/>.</summary>
    public static TaskCreatedData Of(NewTask task, Guid? dagId, string? key, TaskState status, IReadOnlyList<string>? dependsOn) => new()
    {
        DagId = dagId,
        Key = key,
        Name = task.Name,
        Instruction = task.Instruction,
        Agent = task.Agent,
        Status = status,
        Priority = task.Priority,
        MaxAttempts = task.MaxAttempts,
        Limits = task.Limits,
        Metadata = task.Metadata,
        OutputSchema = task.OutputSchema,
        TraceParent = task.TraceParent,
        TraceState = task.TraceState,
        DependsOn = dependsOn,
    };
}

/// <summary>Payload of <see cref="EventTypes.TaskQueued"/>.</summary>
/// <param name="Instruction">The instruction with dependency outputs substituted.</param>
public sealed record TaskQueuedData(string Instruction);

/// <summary>Payload of <see cref="EventTypes.TaskStarted"/>.</summary>
public sealed record TaskStartedData(int Attempt, string Worker);

/// <summary>Usage of one attempt, added to the task's totals.</summary>
public sealed record UsageDelta(long InputTokens, long OutputTokens, decimal CostUsd, int ApiCalls)
{
    /// <summary>Nothing used.</summary>
    public static UsageDelta None { get; } = new(0, 0, 0m, 0);
}

/// <summary>Payload of <see cref="EventTypes.TaskRetryScheduled"/>.</summary>
public sealed record TaskRetryScheduledData(int Attempt, TaskError Error, DateTimeOffset RunAt, UsageDelta Usage);

/// <summary>Payload of <see cref="EventTypes.TaskRequeued"/>.</summary>
public sealed record TaskRequeuedData(int Attempt, string Reason);

/// <summary>Payload of <see cref="EventTypes.TaskRetried"/>.</summary>
public sealed record TaskRetriedData(int MaxAttempts, string Instruction);

/// <summary>Payload of <see cref="EventTypes.TaskSucceeded"/>.</summary>
/// <param name="Attempt">The attempt that succeeded.</param>
/// <param name="Output">Its output.</param>
/// <param name="Usage">What it used.</param>
/// <param name="Cascade">The decisions of the agent's cascade in this attempt, in order; null without a cascade.</param>
public sealed record TaskSucceededData(int Attempt, string Output, UsageDelta Usage, IReadOnlyList<CascadeStep>? Cascade = null);

/// <summary>Payload of <see cref="EventTypes.TaskFailed"/>, <see cref="EventTypes.TaskCancelled"/> and <see cref="EventTypes.TaskSkipped"/>.</summary>
public sealed record TaskEndedData(int Attempt, TaskError Error, UsageDelta Usage);

/// <summary>Payload of <see cref="EventTypes.TaskResultIgnored"/>.</summary>
public sealed record TaskResultIgnoredData(int Attempt, string Outcome, string Reason, UsageDelta Usage);

/// <summary>Payload of the DAG events.</summary>
public sealed record DagEventData(string? Reason = null, string? TaskKey = null);

/// <summary>What one model spent within an attempt: every call to it, summed. Aggregated by the usage API.</summary>
/// <param name="Provider">Provider name.</param>
/// <param name="Model">Model id.</param>
/// <param name="InputTokens">Prompt tokens.</param>
/// <param name="OutputTokens">Completion tokens.</param>
/// <param name="CostUsd">Spend in US dollars.</param>
/// <param name="ApiCalls">Calls made.</param>
/// <param name="Cascade">When the model was a step of the agent's cascade: what the router decided about its answer.</param>
public sealed record LlmCallUsage(string Provider, string Model, long InputTokens, long OutputTokens, decimal CostUsd, int ApiCalls,
    CascadeStep? Cascade = null);

/// <summary>One decision of a cascade, as stored: in the usage lines and in the task's <c>succeeded</c> event.</summary>
/// <param name="Step">0-based position of the model in the cascade.</param>
/// <param name="Model">The model.</param>
/// <param name="Outcome"><c>accepted</c>, <c>rejected</c> or <c>provider_error</c>.</param>
/// <param name="Reason">Why (the scorer's reason, or the provider's error code).</param>
/// <param name="Final">True for the step whose answer became the output.</param>
/// <param name="TopModelCostUsd">
/// On the final step: what the cascade's last (strongest) model would have charged for the same tokens, the baseline of
/// routing savings; null on the other steps.
/// </param>
public sealed record CascadeStep(int Step, string Model, string Outcome, string Reason, bool Final, decimal? TopModelCostUsd = null);
