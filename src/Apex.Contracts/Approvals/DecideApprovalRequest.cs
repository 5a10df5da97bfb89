namespace Apex.Contracts.Approvals;

/// <summary>Optional body of <c>POST /api/v1/approvals/{id}/approve</c> and <c>/reject</c>.</summary>
public sealed record DecideApprovalRequest
{
    /// <summary>Why; stored with the decision (and, for a rejection, in the task's error message).</summary>
    public string? Reason { get; init; }

    /// <summary>Who decides, recorded as <c>decided_by</c> (default <c>api</c>) on an open server only: with authentication on, the caller is recorded (its key's name or token's subject).</summary>
    public string? DecidedBy { get; init; }
}
