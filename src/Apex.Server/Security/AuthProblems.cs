using Apex.Core.Security;
using Apex.Server.Audit;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Mvc;

namespace Apex.Server.Security;

/// <summary>
/// Answers a refused request with problem+json: 401 (<c>unauthenticated</c> without a credential,
/// <c>invalid_credentials</c> with a bad one, and a <c>WWW-Authenticate</c> challenge) or 403 (<c>forbidden</c>, naming
/// the roles the route admits). Never echoes the credential.
/// </summary>
internal sealed class AuthProblems(IProblemDetailsService problems, AuditTrail audit) : IAuthorizationMiddlewareResultHandler
{
    public const string Unauthenticated = "unauthenticated";

    public const string InvalidCredentials = "invalid_credentials";

    public const string Forbidden = "forbidden";

    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Challenged)
        {
            var missing = ApexAuthentication.Credential(context) is null;
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = missing ? "Bearer realm=\"apex\"" : "Bearer realm=\"apex\", error=\"invalid_token\"";
            return WriteAsync(context, StatusCodes.Status401Unauthorized, missing ? Unauthenticated : InvalidCredentials, missing
                ? "This route needs a credential: an API key or a token, as `Authorization: Bearer …` (docs/security.md)."
                : "The credential is malformed, unknown, revoked or expired.");
        }
        if (authorizeResult.Forbidden)
        {
            var roles = policy.Requirements.OfType<ClaimsAuthorizationRequirement>().SelectMany(r => r.AllowedValues ?? []);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            var detail = $"This route needs one of the roles: {string.Join(", ", roles)}.";
            audit.Record(context, AuditActions.AuthzDenied, AuditOutcomes.Denied, AuditTarget.Of(context), detail);
            return WriteAsync(context, StatusCodes.Status403Forbidden, Forbidden, detail);
        }
        return _default.HandleAsync(next, context, policy, authorizeResult);
    }

    private Task WriteAsync(HttpContext context, int status, string code, string detail)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Title = status == StatusCodes.Status401Unauthorized ? "Authentication required." : "Not allowed.",
            Detail = detail,
            Type = $"https://apex.dev/problems/{code}",
        };
        problem.Extensions["code"] = code;
        return problems.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }).AsTask();
    }
}
