namespace Apex.Contracts.Tasks;

/// <summary>Body of <c>POST /api/v1/tasks</c>.</summary>
public sealed record CreateTaskRequest
{
    /// <summary>A short human name.</summary>
    public string? Name { get; init; }

    /// <summary>What the agent is asked to do.</summary>
    public string? Instruction { get; init; }

    /// <summary>The agent (by name) that runs the task; the default agent when absent.</summary>
    public string? Agent { get; init; }

    /// <summary>Higher runs first; FIFO within a priority. Default 0.</summary>
    public int? Priority { get; init; }

    /// <summary>Maximum attempts, retries included. Default from the server.</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>The task's cost contract.</summary>
    public TaskLimits? Limits { get; init; }

    /// <summary>Free-form string labels.</summary>
    public Dictionary<string, string>? Metadata { get; init; }

    /// <summary>
    /// A JSON Schema the output must satisfy: providers are asked for structured output, a cascade escalates past answers
    /// that miss it, and a lone model's answer that misses it fails <c>invalid_output</c>. Overrides the agent's own.
    /// </summary>
    public System.Text.Json.JsonElement? OutputSchema { get; init; }
}
