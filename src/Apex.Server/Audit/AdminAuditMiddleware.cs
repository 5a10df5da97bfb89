using System.Text.Json;
using Apex.Core.Errors;
using Apex.Core.Security;

namespace Apex.Server.Audit;

/// <summary>
/// Records every mutating request (not GET, HEAD or OPTIONS) to an endpoint under <c>/api/v1/admin</c> that records
/// nothing itself (<see cref="AuditEndpoints.Audited"/>): action <c>admin.&lt;endpoint name in snake_case&gt;</c>, target
/// the method and path, outcome from the status. Runs after authorization: refused requests are recorded there.
/// </summary>
internal sealed class AdminAuditMiddleware(RequestDelegate next, AuditTrail audit)
{
    private const string AdminPath = "/api/v1/admin";

    /// <summary>Every request passes here: only a mutating one under <c>/api/v1/admin</c> pays for an async frame.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        return endpoint is null || HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)
            || HttpMethods.IsOptions(context.Request.Method) || !context.Request.Path.StartsWithSegments(AdminPath, StringComparison.OrdinalIgnoreCase)
            || endpoint.Metadata.GetMetadata<AuditedMetadata>() is not null
            ? next(context)
            : RecordAsync(context, endpoint);
    }

    private async Task RecordAsync(HttpContext context, Endpoint endpoint)
    {
        var name = endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName;
        var action = AuditActions.AdminPrefix + (name is null ? "request" : JsonNamingPolicy.SnakeCaseLower.ConvertName(name));
        var target = AuditTarget.Of(context);
        try
        {
            await next(context);
        }
        catch (ApexException e)
        {
            audit.Record(context, action, AuditOutcomes.Failure, target, e.Code);
            throw;
        }
        var status = context.Response.StatusCode;
        audit.Record(context, action, status < 400 ? AuditOutcomes.Success : AuditOutcomes.Failure, target, status < 400 ? null : $"status {status}");
    }
}
