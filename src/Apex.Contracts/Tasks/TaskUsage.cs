namespace Apex.Contracts.Tasks;

/// <summary>What a task consumed, summed over its attempts.</summary>
public sealed record TaskUsage
{
    /// <summary>Prompt tokens.</summary>
    public long InputTokens { get; init; }

    /// <summary>Completion tokens.</summary>
    public long OutputTokens { get; init; }

    /// <summary>Spend in US dollars at the configured prices.</summary>
    public decimal CostUsd { get; init; }

    /// <summary>Number of LLM API calls.</summary>
    public int ApiCalls { get; init; }
}
