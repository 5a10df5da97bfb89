namespace Apex.Server.Stats;

/// <summary>
/// What cascades saved over a window: the tokens of each cascading agent priced at its cascade's last (most capable)
/// model, against what they cost. An estimate: the escalations' tokens are priced at the last model too.
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
