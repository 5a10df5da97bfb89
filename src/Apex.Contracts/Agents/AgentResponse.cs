namespace Apex.Contracts.Agents;

/// <summary>An agent definition.</summary>
public sealed record AgentResponse
{
    /// <summary>Agent id.</summary>
    public required Guid Id { get; init; }

    /// <summary>Unique name.</summary>
    public required string Name { get; init; }

    /// <summary>Provider name.</summary>
    public required string Provider { get; init; }

    /// <summary>Model id.</summary>
    public required string Model { get; init; }

    /// <summary>System prompt.</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>Concurrency cap.</summary>
    public int MaxConcurrency { get; init; }

    /// <summary>Cascade models, cheapest first; empty when the agent uses its model alone.</summary>
    public IReadOnlyList<string> Cascade { get; init; } = [];

    /// <summary>The JSON Schema answers must satisfy; absent for free text.</summary>
    public System.Text.Json.JsonElement? OutputSchema { get; init; }

    /// <summary>Tools.</summary>
    public AgentTools Tools { get; init; } = new();

    /// <summary>When created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Task counts and usage, with <c>include_stats=true</c>.</summary>
    public AgentStats? Stats { get; init; }
}

/// <summary>What an agent has done.</summary>
public sealed record AgentStats
{
    /// <summary>Tasks by status.</summary>
    public required IReadOnlyDictionary<string, long> Tasks { get; init; }

    /// <summary>Tasks running right now on this server.</summary>
    public int Running { get; init; }

    /// <summary>Prompt tokens.</summary>
    public long InputTokens { get; init; }

    /// <summary>Completion tokens.</summary>
    public long OutputTokens { get; init; }

    /// <summary>Spend.</summary>
    public decimal CostUsd { get; init; }
}
