namespace Apex.Server.Stats;

/// <summary>The <c>/api/v1/stats</c> document: what the tasks did over the last window, as rates.</summary>
internal sealed record StatsResponse
{
    public required int WindowSeconds { get; init; }

    public required DateTimeOffset At { get; init; }

    /// <summary>Tasks that reached a terminal status per second.</summary>
    public required double TasksPerSecond { get; init; }

    public required long Succeeded { get; init; }

    public required long Failed { get; init; }

    /// <summary>Failed over finished (succeeded + failed), 0 when none finished.</summary>
    public required double ErrorRate { get; init; }

    /// <summary>Submission to terminal status, over the tasks that finished in the window.</summary>
    public required LatencyStats LatencyMs { get; init; }

    /// <summary>What LLM calls reported in the window cost, scaled to an hour.</summary>
    public required decimal CostPerHourUsd { get; init; }

    /// <summary>Seconds of the window, oldest first: finished tasks and cost, for sparklines.</summary>
    public required IReadOnlyList<StatsPoint> Series { get; init; }
}

internal sealed record LatencyStats(double? P50, double? P95, double? Max, int Samples);

internal sealed record StatsPoint(DateTimeOffset At, long Succeeded, long Failed, decimal CostUsd);
