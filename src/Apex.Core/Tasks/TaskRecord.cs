using Apex.Contracts.Tasks;

namespace Apex.Core.Tasks;

/// <summary>The projection row of a task: what the store keeps and what folding its events reproduces.</summary>
public sealed record TaskRecord
{
    /// <summary>Tenant.</summary>
    public required string TenantId { get; init; }

    /// <summary>Id.</summary>
    public required Guid Id { get; init; }

    /// <summary>DAG, if any.</summary>
    public Guid? DagId { get; init; }

    /// <summary>Id inside the DAG.</summary>
    public string? Key { get; init; }

    /// <summary>Name.</summary>
    public required string Name { get; init; }

    /// <summary>Instruction (rendered once queued).</summary>
    public required string Instruction { get; init; }

    /// <summary>Agent name.</summary>
    public required string Agent { get; init; }

    /// <summary>Status.</summary>
    public required TaskState Status { get; init; }

    /// <summary>Priority.</summary>
    public int Priority { get; init; }

    /// <summary>Current attempt (0 before the first claim).</summary>
    public int Attempt { get; init; }

    /// <summary>Maximum attempts.</summary>
    public int MaxAttempts { get; init; }

    /// <summary>Output.</summary>
    public string? Output { get; init; }

    /// <summary>Error code.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>Error message.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>Prompt tokens over all attempts.</summary>
    public long InputTokens { get; init; }

    /// <summary>Completion tokens over all attempts.</summary>
    public long OutputTokens { get; init; }

    /// <summary>Spend over all attempts.</summary>
    public decimal CostUsd { get; init; }

    /// <summary>LLM calls over all attempts.</summary>
    public int ApiCalls { get; init; }

    /// <summary>Effective limits.</summary>
    public required TaskLimits Limits { get; init; }

    /// <summary>Labels.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>The JSON Schema the output must satisfy (raw JSON), or null: the agent's own applies.</summary>
    public string? OutputSchema { get; init; }

    /// <summary>W3C traceparent of the submission, carried to every attempt (null when nobody traced it).</summary>
    public string? TraceParent { get; init; }

    /// <summary>W3C tracestate of the submission, or null.</summary>
    public string? TraceState { get; init; }

    /// <summary>Accepted at.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Not to be dispatched before (retry backoff).</summary>
    public DateTimeOffset? RunAt { get; init; }

    /// <summary>Current attempt started at.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>Terminal at.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>Number of events applied (the aggregate version).</summary>
    public int Version { get; init; }
}
