namespace Apex.Core.Agents;

/// <summary>What an agent may do beyond one call to its model: a cascade of cheaper models, and tools.</summary>
public sealed record AgentSettings
{
    /// <summary>No cascade, no tools.</summary>
    public static AgentSettings None { get; } = new();

    /// <summary>
    /// Models to try cheapest first (FrugalGPT): a cheaper model's answer is kept when the scorer accepts it, otherwise
    /// the next is asked. Empty: the agent's model alone. All on the agent's provider.
    /// </summary>
    public IReadOnlyList<string> Cascade { get; init; } = [];

    /// <summary>
    /// A JSON Schema (as JSON text) every answer of the agent must satisfy: asked of providers that support structured
    /// output, checked by the cascade's scorer, and checked on the final answer (a mismatch fails the attempt with
    /// <c>invalid_output</c>, retryable). Null: free text.
    /// </summary>
    public string? OutputSchema { get; init; }

    /// <summary>The agent's tools (allow-list, MCP servers, step limit).</summary>
    public AgentToolSettings Tools { get; init; } = new();
}
