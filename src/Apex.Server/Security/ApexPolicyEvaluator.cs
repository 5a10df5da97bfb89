using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Apex.Server.Security;

/// <summary>
/// The standard evaluation, skipped where no credential applies: on an open server (so open mode costs a branch), and for
/// requests that matched no endpoint (static dashboard files and 404s: the fallback policy guards endpoints, not files).
/// </summary>
internal sealed class ApexPolicyEvaluator(AuthState state) : IPolicyEvaluator
{
    private static readonly AuthenticateResult Skipped = AuthenticateResult.NoResult();

    private static readonly Task<AuthenticateResult> SkippedTask = Task.FromResult(Skipped);

    private static readonly Task<PolicyAuthorizationResult> AllowedTask = Task.FromResult(PolicyAuthorizationResult.Success());

    public Task<AuthenticateResult> AuthenticateAsync(AuthorizationPolicy policy, HttpContext context) =>
        Bypass(context) ? SkippedTask : Inner(context).AuthenticateAsync(policy, context);

    public Task<PolicyAuthorizationResult> AuthorizeAsync(AuthorizationPolicy policy, AuthenticateResult authenticationResult, HttpContext context, object? resource) =>
        Bypass(context) ? AllowedTask : Inner(context).AuthorizeAsync(policy, authenticationResult, context, resource);

    private bool Bypass(HttpContext context) => state.IsOpen || context.GetEndpoint() is null;

    private static PolicyEvaluator Inner(HttpContext context) => new(context.RequestServices.GetRequiredService<IAuthorizationService>());
}
