using Apex.Contracts.Approvals;

namespace Apex.Core.Approvals;

/// <summary>Filter and page of <c>GET /api/v1/approvals</c>.</summary>
public sealed record ApprovalQuery
{
    /// <summary>Tenant.</summary>
    public required string TenantId { get; init; }

    /// <summary>Status filter.</summary>
    public ApprovalState? Status { get; init; }

    /// <summary>Task filter.</summary>
    public Guid? TaskId { get; init; }

    /// <summary>Page size.</summary>
    public int Limit { get; init; } = 50;

    /// <summary>Opaque cursor from the previous page.</summary>
    public string? Cursor { get; init; }
}
