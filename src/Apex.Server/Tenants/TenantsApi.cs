using Apex.Server.Audit;
using System.Security.Claims;
using Apex.Contracts.Common;
using Apex.Contracts.Tenants;
using Apex.Core;
using Apex.Core.Errors;
using Apex.Core.Security;
using Apex.Core.Tenants;
using Apex.Engine.Tenants;
using Apex.Server.Caching;
using Apex.Server.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Apex.Server.Tenants;

/// <summary>
/// The <c>/api/v1/admin/tenants</c> endpoints (docs/quotas.md): a tenant's admin reads its own tenant; a platform admin
/// (an admin of the default tenant, such as the bootstrap key) lists tenants, sets quotas, suspends and resumes. Another
/// tenant is 404 to a tenant's admin, like one that does not exist.
/// </summary>
internal static class TenantsApi
{
    private const double MaxRequestsPerSecond = 1_000_000;

    public static RouteGroupBuilder MapTenantsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/admin/tenants").WithTags("Tenants").RequireAuthorization(ApexPolicies.Admin);
        group.MapGet("/", ListAsync).WithName("ListTenants").WithSummary("Tenants with a state or quota of their own (platform admin).");
        group.MapGet("/{tenant}", GetAsync).WithName("GetTenant").WithSummary("A tenant's state, quotas in force and current usage.");
        group.MapPut("/{tenant}/quotas", SetQuotasAsync).WithName("SetTenantQuotas")
            .WithSummary("Replace a tenant's quota overrides: a missing value takes the default, 0 is unlimited (platform admin).")
            .Audited(AuditActions.QuotaChanged, AuditSubjects.Tenant);
        group.MapPost("/{tenant}/suspend", SuspendAsync).WithName("SuspendTenant")
            .WithSummary("Refuse every key and token of the tenant with 401 (platform admin).")
            .Audited(AuditActions.TenantSuspended, AuditSubjects.Tenant);
        group.MapPost("/{tenant}/resume", ResumeAsync).WithName("ResumeTenant").WithSummary("Accept the tenant's keys and tokens again (platform admin).")
            .Audited(AuditActions.TenantResumed, AuditSubjects.Tenant);
        return group;
    }

    private static async Task<Ok<Page<TenantResponse>>> ListAsync(ClaimsPrincipal user, ITenantStore store,
        TenantDirectory tenants, CancellationToken cancellationToken)
    {
        ThrowUnlessPlatformAdmin(user);
        var rows = await store.ListTenantsAsync(cancellationToken);
        return TypedResults.Ok(new Page<TenantResponse>([.. rows.Select(r => ToResponse(r, tenants.Quotas(r.TenantId), null))], null));
    }

    private static async Task<Ok<TenantResponse>> GetAsync(string tenant, ClaimsPrincipal user, ITenantStore store, TenantDirectory tenants,
        TimeProvider time, CancellationToken cancellationToken)
    {
        ThrowUnlessVisible(tenant, user);
        var row = await store.GetTenantAsync(tenant, cancellationToken) ?? TenantRecord.Default(tenant);
        var now = time.GetUtcNow();
        var usage = await store.GetTenantUsageAsync(tenant, new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero), cancellationToken);
        return TypedResults.Ok(ToResponse(row, row.Quotas.Over(tenants.Defaults), usage));
    }

    private static async Task<Ok<TenantResponse>> SetQuotasAsync(string tenant, TenantQuotaValues request, ClaimsPrincipal user,
        ITenantStore store, TenantChanges changes, TimeProvider time, CancellationToken cancellationToken)
    {
        ThrowUnlessVisible(tenant, user);
        ThrowUnlessPlatformAdmin(user);
        Validate(request);
        var row = await store.SetTenantQuotasAsync(tenant, new TenantQuotas
        {
            RequestsPerSecond = request.RequestsPerSecond,
            RequestBurst = request.RequestBurst,
            QueuedTasks = request.QueuedTasks,
            ConcurrentRuns = request.ConcurrentRuns,
            CostPerDayUsd = request.CostPerDayUsd,
        }, time.GetUtcNow(), cancellationToken);
        return TypedResults.Ok(changes.Applied(row));
    }

    private static Task<Ok<TenantResponse>> SuspendAsync(string tenant, ClaimsPrincipal user, ITenantStore store,
        TenantChanges changes, TimeProvider time, CancellationToken cancellationToken)
    {
        if (tenant == Tenancy.DefaultTenant)
        {
            throw new ApexConflictException("tenant_is_platform", "The default tenant holds the platform admins; it cannot be suspended.");
        }
        return SetStateAsync(tenant, TenantState.Suspended, user, store, changes, time, cancellationToken);
    }

    private static Task<Ok<TenantResponse>> ResumeAsync(string tenant, ClaimsPrincipal user, ITenantStore store,
        TenantChanges changes, TimeProvider time, CancellationToken cancellationToken) =>
        SetStateAsync(tenant, TenantState.Active, user, store, changes, time, cancellationToken);

    private static async Task<Ok<TenantResponse>> SetStateAsync(string tenant, TenantState state, ClaimsPrincipal user,
        ITenantStore store, TenantChanges changes, TimeProvider time, CancellationToken cancellationToken)
    {
        ThrowUnlessVisible(tenant, user);
        ThrowUnlessPlatformAdmin(user);
        var row = await store.SetTenantStateAsync(tenant, state, time.GetUtcNow(), cancellationToken);
        return TypedResults.Ok(changes.Applied(row));
    }

    /// <summary>Listing tenants, changing quotas and states: for an admin of the default tenant only (<see cref="ApexClaims.IsPlatformAdmin"/>).</summary>
    private static void ThrowUnlessPlatformAdmin(ClaimsPrincipal user)
    {
        if (!user.IsPlatformAdmin())
        {
            throw new ApexForbiddenException("Only a platform admin (an admin of the default tenant) may list tenants, change quotas, suspend or resume.");
        }
    }

    /// <summary>Another tenant is not found for a tenant's admin, exactly like a tenant that does not exist.</summary>
    private static void ThrowUnlessVisible(string tenant, ClaimsPrincipal user)
    {
        if (!Tenancy.IsValid(tenant) || (tenant != user.TenantId() && !user.IsPlatformAdmin()))
        {
            throw new ApexNotFoundException("tenant", tenant);
        }
    }

    private static void Validate(TenantQuotaValues request)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.RequestsPerSecond is { } rps && (!double.IsFinite(rps) || rps is < 0 or > MaxRequestsPerSecond))
        {
            errors["requests_per_second"] = [$"0 (unlimited) to {MaxRequestsPerSecond:0}."];
        }
        if (request.RequestBurst < 0)
        {
            errors["request_burst"] = ["0 (one second's worth) or more."];
        }
        if (request.QueuedTasks < 0)
        {
            errors["queued_tasks"] = ["0 (unlimited) or more."];
        }
        if (request.ConcurrentRuns < 0)
        {
            errors["concurrent_runs"] = ["0 (unlimited) or more."];
        }
        if (request.CostPerDayUsd < 0)
        {
            errors["cost_per_day_usd"] = ["0 (unlimited) or more."];
        }
        if (errors.Count > 0)
        {
            throw new ApexValidationException("invalid_quotas", "The quotas are invalid.", errors);
        }
    }

    internal static TenantResponse ToResponse(TenantRecord row, TenantQuotas inForce, TenantUsage? usage) => new()
    {
        Tenant = row.TenantId,
        State = row.State.Name(),
        Quotas = ToValues(inForce),
        Overrides = ToValues(row.Quotas),
        Usage = usage is { } u ? new TenantUsageResponse { Queued = u.Queued, Running = u.Running, CostTodayUsd = u.CostTodayUsd } : null,
        UpdatedAt = row.UpdatedAt == DateTimeOffset.UnixEpoch ? null : row.UpdatedAt,
    };

    private static TenantQuotaValues ToValues(TenantQuotas quotas) => new()
    {
        RequestsPerSecond = quotas.RequestsPerSecond,
        RequestBurst = quotas.RequestBurst,
        QueuedTasks = quotas.QueuedTasks,
        ConcurrentRuns = quotas.ConcurrentRuns,
        CostPerDayUsd = quotas.CostPerDayUsd,
    };
}
