namespace Apex.Agents.Runtime;

/// <summary>An attempt failed in a way the engine understands: a stable code and whether retrying may help.</summary>
public class AgentExecutionException(string code, string message, bool retryable, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Stable error code, stored as the task's <c>error.code</c>.</summary>
    public string Code { get; } = code;

    /// <summary>True when another attempt may succeed.</summary>
    public bool Retryable { get; } = retryable;
}
