using Apex.Contracts;
using Apex.Contracts.Approvals;
using Apex.Contracts.Common;

namespace Apex.Client;

public sealed partial class ApexClient
{
    /// <summary>Lists approvals, newest first (<c>GET /api/v1/approvals</c>).</summary>
    /// <param name="status">Only approvals in this status (<see cref="ApprovalState.Pending"/>: those waiting for a decision).</param>
    /// <param name="taskId">Only the approvals of this task.</param>
    /// <param name="limit">Page size; the server's default when null.</param>
    /// <param name="cursor">The <see cref="Page{T}.NextCursor"/> of the previous page.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<Page<ApprovalResponse>> ListApprovalsAsync(
        ApprovalState? status = null, Guid? taskId = null, int? limit = null, string? cursor = null, CancellationToken cancellationToken = default) =>
        GetAsync(
            Query("api/v1/approvals",
                ("status", status is { } s ? SnakeCase(s) : null),
                ("task_id", taskId is { } t ? Id(t) : null),
                ("limit", Invariant(limit)),
                ("cursor", cursor)),
            ApexJsonContext.Default.PageApprovalResponse, cancellationToken);

    /// <summary>Gets one approval (<c>GET /api/v1/approvals/{id}</c>).</summary>
    /// <param name="approvalId">Approval id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="ApexApiException">With 404 when there is no such approval.</exception>
    public Task<ApprovalResponse> GetApprovalAsync(Guid approvalId, CancellationToken cancellationToken = default) =>
        GetAsync($"api/v1/approvals/{Id(approvalId)}", ApexJsonContext.Default.ApprovalResponse, cancellationToken);

    /// <summary>
    /// Approves a pending approval (<c>POST /api/v1/approvals/{id}/approve</c>): its task runs again and may take exactly
    /// the approved action once.
    /// </summary>
    /// <param name="approvalId">Approval id.</param>
    /// <param name="decision">Who decides and why; optional.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="ApexApiException">With 409 (<c>approval_not_pending</c>) when it was already decided or expired.</exception>
    public Task<ApprovalResponse> ApproveAsync(Guid approvalId, DecideApprovalRequest? decision = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/v1/approvals/{Id(approvalId)}/approve", decision ?? new DecideApprovalRequest(),
            ApexJsonContext.Default.DecideApprovalRequest, ApexJsonContext.Default.ApprovalResponse, null, cancellationToken);

    /// <summary>Rejects a pending approval (<c>POST /api/v1/approvals/{id}/reject</c>): its task fails with <c>approval_rejected</c>.</summary>
    /// <param name="approvalId">Approval id.</param>
    /// <param name="decision">Who decides and why; optional.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="ApexApiException">With 409 (<c>approval_not_pending</c>) when it was already decided or expired.</exception>
    public Task<ApprovalResponse> RejectAsync(Guid approvalId, DecideApprovalRequest? decision = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/v1/approvals/{Id(approvalId)}/reject", decision ?? new DecideApprovalRequest(),
            ApexJsonContext.Default.DecideApprovalRequest, ApexJsonContext.Default.ApprovalResponse, null, cancellationToken);
}
