using Apex.Contracts.Approvals;

namespace Apex.Core.Approvals;

/// <summary>How every store writes approval statuses (their snake_case wire names).</summary>
public static class ApprovalValues
{
    /// <summary>The stored name of an approval status.</summary>
    public static string Name(this ApprovalState state) => state switch
    {
        ApprovalState.Pending => "pending",
        ApprovalState.Approved => "approved",
        ApprovalState.Rejected => "rejected",
        ApprovalState.Expired => "expired",
        ApprovalState.Used => "used",
        ApprovalState.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    /// <summary>An approval status from its stored name.</summary>
    public static ApprovalState ParseApprovalState(string value) => value switch
    {
        "pending" => ApprovalState.Pending,
        "approved" => ApprovalState.Approved,
        "rejected" => ApprovalState.Rejected,
        "expired" => ApprovalState.Expired,
        "used" => ApprovalState.Used,
        "cancelled" => ApprovalState.Cancelled,
        _ => throw new FormatException($"Unknown approval status '{value}'."),
    };
}
