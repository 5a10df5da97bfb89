using Apex.Agents.Runtime;
using Apex.Core.Approvals;

namespace Apex.Agents.Approvals;

/// <summary>
/// The attempt stopped because an action needs a human's approval that it does not hold. Not a failure: the engine
/// reports it as <c>awaiting_approval</c> with <see cref="Request"/>, and what the attempt spent so far is charged as usual.
/// </summary>
public sealed class ApprovalRequiredException(ApprovalRequest request)
    : AgentExecutionException("approval_required", $"Waiting for approval: {request.Summary}", retryable: false)
{
    /// <summary>What the attempt asks for.</summary>
    public ApprovalRequest Request { get; } = request;
}
