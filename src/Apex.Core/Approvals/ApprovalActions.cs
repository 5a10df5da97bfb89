namespace Apex.Core.Approvals;

/// <summary>The actions an approval may cover, and the approval error codes.</summary>
public static class ApprovalActions
{
    /// <summary>The attempt itself (policies <c>Always</c> and <c>CostAbove</c>, checked before it starts).</summary>
    public const string Run = "run";

    /// <summary>One call of one tool with exactly one set of arguments.</summary>
    public const string ToolCall = "tool_call";

    /// <summary>Task error code: a human rejected the approval.</summary>
    public const string RejectedCode = "approval_rejected";

    /// <summary>Task error code: nobody decided before the approval expired.</summary>
    public const string ExpiredCode = "approval_expired";

    /// <summary>Problem code: the approval was already decided, expired or withdrawn.</summary>
    public const string NotPendingCode = "approval_not_pending";
}
