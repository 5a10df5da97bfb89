using Apex.Contracts.Approvals;
using Apex.Contracts.Tasks;
using Apex.Core.Errors;

namespace Apex.Core.Approvals;

/// <summary>The errors every store records for approvals, worded once.</summary>
public static class ApprovalErrors
{
    /// <summary>Expiry of an approval whose reporter set none (the default of <c>Apex:Approvals:DefaultTtl</c>).</summary>
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromHours(24);

    /// <summary>Reason recorded on a pending approval whose task ended otherwise.</summary>
    public const string WithdrawnReason = "The task ended while it waited for this approval.";

    /// <summary>The conflict of deciding an approval that is no longer pending (or has expired without a sweep yet).</summary>
    public static ApexConflictException NotPending(ApprovalRecord approval, DateTimeOffset now) =>
        new(ApprovalActions.NotPendingCode, approval.Status == ApprovalState.Pending && approval.ExpiresAt <= now
            ? $"The approval expired at {approval.ExpiresAt:O}."
            : $"The approval is already {approval.Status.Name()}.");

    /// <summary>The task error of a rejection.</summary>
    public static TaskError Rejected(ApprovalRecord approval, ApprovalDecision decision) =>
        new(ApprovalActions.RejectedCode, string.IsNullOrWhiteSpace(decision.Reason)
            ? $"Approval {approval.Id} ({approval.Summary}) was rejected by {decision.DecidedBy}."
            : $"Approval {approval.Id} ({approval.Summary}) was rejected by {decision.DecidedBy}: {decision.Reason}");

    /// <summary>The task error of an expiry.</summary>
    public static TaskError Expired(ApprovalRecord approval) =>
        new(ApprovalActions.ExpiredCode, $"Approval {approval.Id} ({approval.Summary}) was not decided before {approval.ExpiresAt:O}.");
}
