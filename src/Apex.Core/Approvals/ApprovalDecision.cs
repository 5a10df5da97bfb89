namespace Apex.Core.Approvals;

/// <summary>A human's decision on a pending approval.</summary>
/// <param name="Approve">True to approve, false to reject.</param>
/// <param name="DecidedBy">Who decided (recorded).</param>
/// <param name="Reason">Why, if given.</param>
public sealed record ApprovalDecision(bool Approve, string DecidedBy, string? Reason);
