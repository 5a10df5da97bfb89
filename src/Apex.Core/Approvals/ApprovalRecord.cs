using Apex.Contracts.Approvals;

namespace Apex.Core.Approvals;

/// <summary>The projection row of an approval: what the store keeps and what folding its events reproduces.</summary>
public sealed record ApprovalRecord
{
    /// <summary>Tenant.</summary>
    public required string TenantId { get; init; }

    /// <summary>Id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The task that asked.</summary>
    public required Guid TaskId { get; init; }

    /// <summary>The task's DAG, if any.</summary>
    public Guid? DagId { get; init; }

    /// <summary>The attempt that asked.</summary>
    public int Attempt { get; init; }

    /// <summary>Action.</summary>
    public required string Action { get; init; }

    /// <summary>Tool; empty for a run.</summary>
    public required string Tool { get; init; }

    /// <summary>Arguments hash.</summary>
    public required string ArgsHash { get; init; }

    /// <summary>Risk.</summary>
    public required string Risk { get; init; }

    /// <summary>Summary.</summary>
    public required string Summary { get; init; }

    /// <summary>Status.</summary>
    public required ApprovalState Status { get; init; }

    /// <summary>Requested at.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Expires at.</summary>
    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Decided (or expired, cancelled) at.</summary>
    public DateTimeOffset? DecidedAt { get; init; }

    /// <summary>Who decided.</summary>
    public string? DecidedBy { get; init; }

    /// <summary>Reason given with the decision.</summary>
    public string? Reason { get; init; }

    /// <summary>Number of events applied (the aggregate version).</summary>
    public int Version { get; init; }
}
