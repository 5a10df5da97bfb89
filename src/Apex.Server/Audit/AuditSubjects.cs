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
}
