namespace Apex.Core.Agents;

/// <summary>An agent: an LLM (provider + model), a system prompt and a concurrency cap.</summary>
public sealed record AgentDefinition
{
    /// <summary>Name of the agent every task without one runs on.</summary>
    public const string DefaultName = "default";

    /// <summary>Tenant.</summary>
    public required string TenantId { get; init; }

    /// <summary>Id.</summary>
    public required Guid Id { get; init; }

    /// <summary>Unique name within the tenant.</summary>
    public required string Name { get; init; }

    /// <summary>Provider name.</summary>
    public required string Provider { get; init; }

    /// <summary>Model id.</summary>
    public required string Model { get; init; }

    /// <summary>System prompt.</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>Cascade and tools.</summary>
    public AgentSettings Settings { get; init; } = AgentSettings.None;

    /// <summary>Concurrency cap.</summary>
    public int MaxConcurrency { get; init; } = 16;

    /// <summary>Created at.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Updated at.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
}
