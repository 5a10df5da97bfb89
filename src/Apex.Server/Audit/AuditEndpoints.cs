using Apex.Core.Errors;
using Apex.Core.Security;

namespace Apex.Server.Audit;

/// <summary>Records an endpoint's outcome in the audit log.</summary>
internal static class AuditEndpoints
{
    /// <summary>
    /// Records <paramref name="action"/> after each call of the endpoint: <c>success</c> when it answers below 400,
    /// <c>failure</c> (with the error code or status) when it throws an <see cref="ApexException"/> or answers 400 or
    /// more. <paramref name="subject"/> names the target from the request and the handler's result (null on failure).
    /// The generic <c>admin.*</c> entry of <see cref="AdminAuditMiddleware"/> is then not written for it.
    /// </summary>
    public static RouteHandlerBuilder Audited(this RouteHandlerBuilder builder, string action, Func<HttpContext, object?, AuditSubject> subject) =>
        builder.WithMetadata(AuditedMetadata.Instance).AddEndpointFilter(async (invocation, next) =>
        {
            var http = invocation.HttpContext;
            var audit = http.RequestServices.GetRequiredService<AuditTrail>();
            object? result;
            try
            {
                result = await next(invocation);
            }
            catch (ApexException e)
            {
                var failed = subject(http, null);
                audit.Record(http, action, AuditOutcomes.Failure, failed.Target, e.Code, failed.Tenant);
                throw;
            }
            // A handler declared as Results<Ok<…>, ProblemHttpResult> returns the union: the answer is inside it.
            if ((result is INestedHttpResult nested ? nested.Result : result) is IStatusCodeHttpResult { StatusCode: >= 400 } refused)
            {
                var failed = subject(http, null);
                audit.Record(http, action, AuditOutcomes.Failure, failed.Target, $"status {refused.StatusCode}", failed.Tenant);
                return result;
            }
            var done = subject(http, result);
            audit.Record(http, action, AuditOutcomes.Success, done.Target, done.Detail, done.Tenant);
            return result;
        });

    /// <summary>The value of route parameter <paramref name="name"/>, for a target such as <c>key:{id}</c>.</summary>
    public static string Route(this HttpContext context, string name = "id") => context.Request.RouteValues[name]?.ToString() ?? "";
}

/// <summary>Marks an endpoint that records its own audit entry.</summary>
internal sealed class AuditedMetadata
{
    public static AuditedMetadata Instance { get; } = new();
}
