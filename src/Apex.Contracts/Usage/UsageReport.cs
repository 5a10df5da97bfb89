namespace Apex.Contracts.Usage;

/// <summary><c>GET /api/v1/usage</c>: what LLM calls spent in a window, summed by model, agent or DAG.</summary>
public sealed record UsageReport
{
    /// <summary><c>model</c>, <c>agent</c> or <c>dag</c>.</summary>
    public required string GroupBy { get; init; }

    /// <summary>Start of the window (inclusive).</summary>
    public required DateTimeOffset From { get; init; }

    /// <summary>End of the window (exclusive).</summary>
    public required DateTimeOffset To { get; init; }

    /// <summary>One line per model, agent or DAG, largest cost first.</summary>
    public required IReadOnlyList<UsageLine> Items { get; init; }

    /// <summary>The sum of <see cref="Items"/>.</summary>
    public required UsageLine Total { get; init; }
}

/// <summary>Usage of one model, agent or DAG.</summary>
public sealed record UsageLine
{
    /// <summary>The model id, agent name or DAG id; null for tasks outside any DAG, and for the total.</summary>
    public string? Key { get; init; }

    /// <summary>Prompt tokens.</summary>
    public long InputTokens { get; init; }

    /// <summary>Completion tokens.</summary>
    public long OutputTokens { get; init; }

    /// <summary>Spend in US dollars at the configured prices.</summary>
    public decimal CostUsd { get; init; }

    /// <summary>LLM API calls.</summary>
    public long ApiCalls { get; init; }

    /// <summary>Tasks that spent it.</summary>
    public long Tasks { get; init; }
}
