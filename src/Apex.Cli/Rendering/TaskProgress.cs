using Apex.Contracts.Tasks;

namespace Apex.Cli.Rendering;

/// <summary>What the progress table shows of one task.</summary>
internal sealed record TaskProgress
{
    public required string Key { get; init; }

    public required Guid Id { get; init; }

    public required TaskState Status { get; init; }

    public int Attempt { get; init; }

    public int MaxAttempts { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public long Tokens { get; init; }

    public decimal CostUsd { get; init; }

    public TaskError? Error { get; init; }

    /// <summary>From <see cref="StartedAt"/> to the end, or to <paramref name="now"/> while running.</summary>
    public TimeSpan? Duration(DateTimeOffset now) => StartedAt is { } start
        ? (FinishedAt ?? (Status == TaskState.Running ? now : null)) - start
        : null;

    public static TaskProgress From(TaskResponse task) => new()
    {
        Key = task.Key ?? task.Name,
        Id = task.Id,
        Status = task.Status,
        Attempt = task.Attempt,
        MaxAttempts = task.MaxAttempts,
        StartedAt = task.StartedAt,
        FinishedAt = task.FinishedAt,
        Tokens = task.Usage.InputTokens + task.Usage.OutputTokens,
        CostUsd = task.Usage.CostUsd,
        Error = task.Error,
    };
}
