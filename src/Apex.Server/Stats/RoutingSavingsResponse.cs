namespace Apex.Server.Stats;

/// <summary>
/// What cascades saved over a window, by agent, from the decisions stored with each attempt's usage: what the cascade
/// steps cost against what the cascade's last (most capable) model would have charged for the answers kept.
/// </summary>
internal sealed record RoutingSavingsResponse
{
    public required DateTimeOffset From { get; init; }

    public required DateTimeOffset To { get; init; }

    public required decimal ActualCostUsd { get; init; }

    public required decimal ReferenceCostUsd { get; init; }

    public required decimal SavingsUsd { get; init; }

    public required IReadOnlyList<RoutingSavingsLine> Agents { get; init; }
}

internal sealed record RoutingSavingsLine(string Agent, IReadOnlyList<string> Cascade, string ReferenceModel, long InputTokens, long OutputTokens,
    decimal ActualCostUsd, decimal ReferenceCostUsd, decimal SavingsUsd);
