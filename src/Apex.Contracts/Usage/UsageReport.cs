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

    /// <summary>The cascade routing within this line: its decisions and what it saved; absent when no cascade ran.</summary>
    public CascadeUsage? Cascade { get; init; }
}

/// <summary>
/// Cascade routing (FrugalGPT) within a usage line: one decision per model a cascade tried, and the saving against
/// always asking each cascade's strongest model.
/// </summary>
public sealed record CascadeUsage
{
    /// <summary>Answers the scorer accepted.</summary>
    public long Accepted { get; init; }

    /// <summary>Answers the scorer rejected: escalated to the next model, or kept when no model was left.</summary>
    public long Rejected { get; init; }

    /// <summary>Steps whose call failed and escalated.</summary>
    public long ProviderErrors { get; init; }

    /// <summary>What the cascade steps spent, in US dollars (a judge's calls are lines of their own).</summary>
    public decimal CostUsd { get; init; }

    /// <summary>
    /// What each cascade's strongest model would have charged for the tokens of the answer kept. On a model line it is
    /// attributed to the model whose answer was kept, so <see cref="SavedUsd"/> is meaningful on agent, DAG and total lines.
    /// </summary>
    public decimal TopModelCostUsd { get; init; }

    /// <summary><see cref="TopModelCostUsd"/> minus <see cref="CostUsd"/>.</summary>
    public decimal SavedUsd { get; init; }
}
