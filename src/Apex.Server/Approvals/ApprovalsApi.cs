using System.Security.Claims;
using Apex.Contracts.Approvals;
using Apex.Contracts.Common;
using Apex.Core;
using Apex.Core.Approvals;
using Apex.Core.Security;
using Apex.Core.Errors;
using Apex.Core.Storage;
using Apex.Engine;
using Apex.Server.Audit;
using Apex.Server.Caching;
using Apex.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Apex.Server.Security;

namespace Apex.Server.Approvals;

/// <summary>
/// The <c>/api/v1/approvals</c> endpoints: the only way an approval is decided (a model has no tool for it).
/// </summary>
internal static class ApprovalsApi
{
    private const string DefaultDecider = "api";

    public static RouteGroupBuilder MapApprovalsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/approvals").WithTags("Approvals");
        group.MapGet("/", ListAsync).WithName("ListApprovals").WithSummary("List approvals, newest first.").RequireAuthorization(ApexPolicies.Read);
        group.MapGet("/{id:guid}", GetAsync).WithName("GetApproval").RequireAuthorization(ApexPolicies.Read);
        group.MapPost("/{id:guid}/approve", ApproveAsync).WithName("ApproveApproval")
            .WithSummary("Approve: the task runs again and may take exactly this action once.").RequireAuthorization(ApexPolicies.Approve)
            .Audited(AuditActions.ApprovalApproved, AuditSubjects.Approval);
        group.MapPost("/{id:guid}/reject", RejectAsync).WithName("RejectApproval").WithSummary("Reject: the task fails with approval_rejected.").RequireAuthorization(ApexPolicies.Approve)
            .Audited(AuditActions.ApprovalRejected, AuditSubjects.Approval);
        return group;
    }

    private static async Task<Ok<Page<ApprovalResponse>>> ListAsync(
        ClaimsPrincipal user, IApexStore store, IOptions<ApiOptions> options, CancellationToken cancellationToken,
        string? status = null, [FromQuery(Name = "task_id")] Guid? taskId = null, int? limit = null, string? cursor = null)
    {
        var page = await store.ListApprovalsAsync(new ApprovalQuery
        {
            TenantId = user.TenantId(),
            Status = Query.ParseEnum<ApprovalState>(status, "status"),
            TaskId = taskId,
            Limit = Query.PageSize(limit, options.Value),
            Cursor = cursor,
        }, cancellationToken);
        return TypedResults.Ok(new Page<ApprovalResponse>([.. page.Items.Select(ToResponse)], page.NextCursor));
    }

    private static async Task<Ok<ApprovalResponse>> GetAsync(Guid id, ClaimsPrincipal user, IApexStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(ToResponse(await store.GetApprovalAsync(user.TenantId(), id, cancellationToken)
            ?? throw new ApexNotFoundException("approval", id.ToString())));

    private static Task<Ok<ApprovalResponse>> ApproveAsync(Guid id, DecideApprovalRequest? request, ClaimsPrincipal user, ApexEngine engine, IApexStore store, TaskCache cache,
        CancellationToken cancellationToken) =>
        DecideAsync(id, approve: true, request, user, engine, store, cache, cancellationToken);

    private static Task<Ok<ApprovalResponse>> RejectAsync(Guid id, DecideApprovalRequest? request, ClaimsPrincipal user, ApexEngine engine, IApexStore store, TaskCache cache,
        CancellationToken cancellationToken) =>
        DecideAsync(id, approve: false, request, user, engine, store, cache, cancellationToken);

    private static async Task<Ok<ApprovalResponse>> DecideAsync(Guid id, bool approve, DecideApprovalRequest? request, ClaimsPrincipal user, ApexEngine engine, IApexStore store,
        TaskCache cache, CancellationToken cancellationToken)
    {
        var decidedBy = DecidedBy(user, request?.DecidedBy);
        await engine.DecideApprovalAsync(user.TenantId(), id, new ApprovalDecision(approve, decidedBy, request?.Reason), cancellationToken);
        var approval = await store.GetApprovalAsync(user.TenantId(), id, cancellationToken) ?? throw new ApexNotFoundException("approval", id.ToString());
        // Before answering: a read of the task that began before the decision must not answer a caller who saw this response.
        cache.Coherence.Changed(approval.TaskId);
        return TypedResults.Ok(ToResponse(approval));
    }

    /// <summary>
    /// Who decided: the authenticated caller (its key's name or its token's subject), whatever the body claims. Only an
    /// open server, where nobody authenticates, records the body's <c>decided_by</c> (or <c>api</c>).
    /// </summary>
    private static string DecidedBy(ClaimsPrincipal user, string? claimed) =>
        user.Identity?.IsAuthenticated == true && user.FindFirst(ApexClaims.Name)?.Value is { Length: > 0 } name ? name
        : string.IsNullOrWhiteSpace(claimed) ? DefaultDecider : claimed.Trim();

    private static ApprovalResponse ToResponse(ApprovalRecord approval) => new()
    {
        Id = approval.Id,
        TaskId = approval.TaskId,
        DagId = approval.DagId,
        Action = approval.Action,
        Tool = approval.Tool,
        ArgsHash = approval.ArgsHash,
        Risk = approval.Risk,
        Summary = approval.Summary,
        Status = approval.Status,
        CreatedAt = approval.CreatedAt,
        ExpiresAt = approval.ExpiresAt,
        DecidedAt = approval.DecidedAt,
        DecidedBy = approval.DecidedBy,
        Reason = approval.Reason,
    };
}
