using Apex.Contracts.Tenants;
using Apex.Contracts.Approvals;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Apex.Server.Audit;

/// <summary>How audited endpoints outside this folder name what they acted on.</summary>
internal static class AuditSubjects
{
    /// <summary>An approval decision: the approval, and the task and decider once decided.</summary>
    public static AuditSubject Approval(HttpContext http, object? result) => result is Ok<ApprovalResponse> { Value: { } approval }
        ? new AuditSubject($"approval:{approval.Id}", $"task {approval.TaskId}, decided_by {approval.DecidedBy}")
        : new AuditSubject($"approval:{http.Route()}");

    /// <summary>A change of a tenant's quotas or state, recorded under that tenant (its admins see it): the quotas it now has.</summary>
    public static AuditSubject Tenant(HttpContext http, object? result)
    {
        var tenant = http.Route("tenant");
        return result is Ok<TenantResponse> { Value: { } changed }
            ? new AuditSubject($"tenant:{tenant}", $"state {changed.State}; overrides {Overrides(changed.Quotas)}", Apex.Core.Tenancy.IsValid(tenant) ? tenant : null)
            : new AuditSubject($"tenant:{tenant}", null, Apex.Core.Tenancy.IsValid(tenant) ? tenant : null);
    }

    private static string Overrides(TenantQuotaValues q) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"requests_per_second={q.RequestsPerSecond?.ToString() ?? "default"}, request_burst={q.RequestBurst?.ToString() ?? "default"}, queued_tasks={q.QueuedTasks?.ToString() ?? "default"}, concurrent_runs={q.ConcurrentRuns?.ToString() ?? "default"}, cost_per_day_usd={q.CostPerDayUsd?.ToString() ?? "default"}");
}
