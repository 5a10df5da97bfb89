using Apex.Core.Events;

namespace Apex.Agents.Runtime;

/// <summary>An attempt failed in a way the engine understands: a stable code and whether retrying may help.</summary>
public class AgentExecutionException(string code, string message, bool retryable, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Stable error code, stored as the task's <c>error.code</c>.</summary>
    public string Code { get; } = code;

    /// <summary>True when another attempt may succeed.</summary>
    public bool Retryable { get; } = retryable;

    /// <summary>What the attempt spent before it failed: it is charged to the task like a success's.</summary>
    public UsageDelta Usage { get; set; } = UsageDelta.None;

    /// <summary>What each model spent before the failure.</summary>
    public IReadOnlyList<LlmCallUsage> Calls { get; set; } = [];

    /// <summary>How long the provider asked callers to wait before retrying (HTTP Retry-After), when it said.</summary>
    public TimeSpan? RetryAfter { get; init; }
}
