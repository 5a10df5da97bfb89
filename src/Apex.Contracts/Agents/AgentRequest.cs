namespace Apex.Contracts.Agents;

/// <summary>Body of <c>POST /api/v1/agents</c> and <c>PUT /api/v1/agents/{id}</c>.</summary>
public sealed record AgentRequest
{
    /// <summary>Unique name, used by tasks to pick the agent: 1–128 characters of <c>[A-Za-z0-9_.-]</c>.</summary>
    public string? Name { get; init; }

    /// <summary>LLM provider name; the default provider when absent.</summary>
    public string? Provider { get; init; }

    /// <summary>Model id at that provider.</summary>
    public string? Model { get; init; }

    /// <summary>System prompt.</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>How many of its tasks may run at once.</summary>
    public int? MaxConcurrency { get; init; }

    /// <summary>
    /// Models of the provider to try cheapest first (cascade routing): an answer the scorer accepts ends the cascade.
    /// Absent on update: unchanged; empty: no cascade.
    /// </summary>
    public IReadOnlyList<string>? Cascade { get; init; }

    /// <summary>
    /// A JSON Schema every answer must satisfy (structured output where the provider supports it; checked either way).
    /// Absent on update: unchanged; JSON <c>null</c> is the same as absent, so clear it with <c>{}</c>.
    /// </summary>
    public System.Text.Json.JsonElement? OutputSchema { get; init; }

    /// <summary>Tools; absent on update: unchanged.</summary>
    public AgentTools? Tools { get; init; }
}
