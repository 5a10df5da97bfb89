using System.Text.Json.Serialization;
using Apex.Contracts.Common;

namespace Apex.Contracts.Approvals;

/// <summary>The lifecycle state of an approval.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<ApprovalState>))]
public enum ApprovalState
{
    /// <summary>Waiting for a human decision; its task is <c>awaiting_approval</c>.</summary>
    Pending,
    /// <summary>Approved; the next attempt of its task may take the action once.</summary>
    Approved,
    /// <summary>Rejected; its task failed with <c>approval_rejected</c>.</summary>
    Rejected,
    /// <summary>Nobody decided before <c>expires_at</c>; its task failed with <c>approval_expired</c>.</summary>
    Expired,
    /// <summary>Approved and taken by an attempt: it covers nothing more.</summary>
    Used,
    /// <summary>Its task ended otherwise (cancelled, or its DAG failed) while the approval was pending.</summary>
    Cancelled,
}
