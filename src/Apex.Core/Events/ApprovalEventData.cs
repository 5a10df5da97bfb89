namespace Apex.Core.Events;

/// <summary>Payload of <see cref="EventTypes.TaskAwaitingApproval"/>: running → awaiting_approval.</summary>
/// <param name="Attempt">The attempt that stopped.</param>
/// <param name="ApprovalId">The approval it waits for.</param>
/// <param name="Usage">What the attempt spent before it stopped.</param>
public sealed record TaskAwaitingApprovalData(int Attempt, Guid ApprovalId, UsageDelta Usage);

/// <summary>Payload of <see cref="EventTypes.TaskApproved"/>: awaiting_approval → queued.</summary>
public sealed record TaskApprovedData(Guid ApprovalId);

/// <summary>Payload of <see cref="EventTypes.ApprovalRequested"/>: the whole initial row.</summary>
public sealed record ApprovalRequestedData
{
    /// <summary>Task.</summary>
    public required Guid TaskId { get; init; }

    /// <summary>The task's DAG.</summary>
    public Guid? DagId { get; init; }

    /// <summary>The attempt that asked.</summary>
    public required int Attempt { get; init; }

    /// <summary>Action.</summary>
    public required string Action { get; init; }

    /// <summary>Tool.</summary>
    public required string Tool { get; init; }

    /// <summary>Arguments hash.</summary>
    public required string ArgsHash { get; init; }

    /// <summary>Risk.</summary>
    public required string Risk { get; init; }

    /// <summary>Summary.</summary>
    public required string Summary { get; init; }

    /// <summary>Expiry.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }
}

/// <summary>
/// Payload of <see cref="EventTypes.ApprovalGranted"/>, <see cref="EventTypes.ApprovalRejected"/>,
/// <see cref="EventTypes.ApprovalExpired"/> and <see cref="EventTypes.ApprovalCancelled"/>.
/// </summary>
/// <param name="DecidedBy">Who decided; null when nobody did (expired, cancelled).</param>
/// <param name="Reason">Why.</param>
public sealed record ApprovalClosedData(string? DecidedBy, string? Reason);

/// <summary>Payload of <see cref="EventTypes.ApprovalUsed"/>.</summary>
/// <param name="Attempt">The attempt that took the approved action.</param>
public sealed record ApprovalUsedData(int Attempt);
