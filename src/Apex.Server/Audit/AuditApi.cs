using Apex.Core.Errors;
using System.Security.Claims;
using Apex.Contracts.Audit;
using Apex.Contracts.Common;
using Apex.Core.Security;
using Apex.Server.Hosting;
using Apex.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Apex.Server.Audit;

/// <summary>The <c>/api/v1/admin/audit</c> endpoints: the audit log of the caller's tenant, and the chain check (docs/audit.md).</summary>
internal static class AuditApi
{
    public static RouteGroupBuilder MapAuditApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/admin/audit").WithTags("Audit").RequireAuthorization(ApexPolicies.Admin);
        group.MapGet("/", ListAsync).WithName("ListAuditEntries")
            .WithSummary("The tenant's audit entries, newest first; filter by action and time window, page with the cursor. A platform admin may name another tenant.");
        group.MapGet("/verify", VerifyAsync).WithName("VerifyAuditChain")
            .WithSummary("Walk the whole hash chain (every tenant's entries) and report the first entry that is missing or changed. Platform admins only.");
        return group;
    }

    private static async Task<Ok<Page<AuditEntryResponse>>> ListAsync(ClaimsPrincipal user, IAuditStore store, IOptions<ApiOptions> options,
        CancellationToken cancellationToken, string? action = null, DateTimeOffset? since = null, DateTimeOffset? until = null, int? limit = null,
        string? cursor = null, string? tenant = null)
    {
        if (tenant is not null && tenant != user.TenantId() && !user.IsPlatformAdmin())
        {
            throw new ApexForbiddenException("Only an admin of the default tenant reads another tenant's audit log.");
        }
        var page = await store.ListAuditAsync(new AuditQuery
        {
            TenantId = tenant ?? user.TenantId(),
            Action = string.IsNullOrWhiteSpace(action) ? null : action.Trim(),
            Since = since,
            Until = until,
            Limit = Query.PageSize(limit, options.Value),
            BeforeSeq = string.IsNullOrEmpty(cursor) ? null : Query.SeqCursor(cursor),
        }, cancellationToken);
        return TypedResults.Ok(new Page<AuditEntryResponse>([.. page.Items.Select(ToResponse)], page.NextCursor));
    }

    private static async Task<Ok<AuditVerificationResponse>> VerifyAsync(ClaimsPrincipal user, IAuditStore store, IOptions<AuditOptions> options,
        CancellationToken cancellationToken)
    {
        if (!user.IsPlatformAdmin())
        {
            // The chain holds every tenant's entries: its length and head are the installation's, not a tenant's.
            throw new ApexForbiddenException("Only an admin of the default tenant checks the audit chain.");
        }
        var result = await AuditChain.VerifyAsync(store, options.Value.VerifyPageSize, cancellationToken);
        return TypedResults.Ok(new AuditVerificationResponse
        {
            Valid = result.Valid,
            Checked = result.Checked,
            FirstInvalidSeq = result.FirstInvalidSeq,
            Reason = result.Reason,
            HeadHash = result.HeadHash,
        });
    }

    private static AuditEntryResponse ToResponse(AuditEntry entry) => new()
    {
        Seq = entry.Seq,
        Time = entry.Event.Time,
        Actor = entry.Event.Actor,
        Tenant = entry.Event.TenantId,
        Action = entry.Event.Action,
        Target = entry.Event.Target,
        Outcome = entry.Event.Outcome,
        Detail = entry.Event.Detail,
        TraceId = entry.Event.TraceId,
        ClientAddress = entry.Event.ClientAddress,
        PrevHash = entry.PrevHash,
        Hash = entry.Hash,
    };
}
