namespace Apex.Contracts.Approvals;

/// <summary>An approval as the API shows it.</summary>
public sealed record ApprovalResponse
{
    /// <summary>Approval id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The task that waits for it.</summary>
    public required Guid TaskId { get; init; }

    /// <summary>The task's DAG, if any.</summary>
    public Guid? DagId { get; init; }

    /// <summary>What is to be approved: <c>run</c> (the attempt itself) or <c>tool_call</c>.</summary>
    public required string Action { get; init; }

    /// <summary>The tool, for <c>tool_call</c>; empty for <c>run</c>.</summary>
    public required string Tool { get; init; }

    /// <summary>SHA-256 (hex) of the canonical JSON arguments: the approval covers exactly these.</summary>
    public required string ArgsHash { get; init; }

    /// <summary><c>low</c>, <c>medium</c> or <c>high</c>, from the policy that asked.</summary>
    public required string Risk { get; init; }

    /// <summary>A human-readable description of the action.</summary>
    public required string Summary { get; init; }

    /// <summary>Status.</summary>
    public required ApprovalState Status { get; init; }

    /// <summary>Requested at.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Fails its task with <c>approval_expired</c> if still pending then.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Approved or rejected at.</summary>
    public DateTimeOffset? DecidedAt { get; init; }

    /// <summary>Who approved or rejected it.</summary>
    public string? DecidedBy { get; init; }

    /// <summary>The reason given with a rejection.</summary>
    public string? Reason { get; init; }
}
