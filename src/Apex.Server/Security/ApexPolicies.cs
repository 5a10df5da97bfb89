using Apex.Core.Security;
using Microsoft.AspNetCore.Authorization;

namespace Apex.Server.Security;

/// <summary>The authorization policies; every endpoint names one or is explicitly anonymous (docs/security.md).</summary>
internal static class ApexPolicies
{
    /// <summary>Reads: every GET of the API, the WebSocket and the event streams.</summary>
    public const string Read = "apex:read";

    /// <summary>Submitting, cancelling and retrying tasks and DAGs; creating, changing and deleting agents.</summary>
    public const string Operate = "apex:operate";

    /// <summary>Deciding approvals.</summary>
    public const string Approve = "apex:approve";

    /// <summary>Managing API keys; also the policy of any endpoint that names none.</summary>
    public const string Admin = "apex:admin";

    /// <summary>The roles each policy admits.</summary>
    public static IReadOnlyDictionary<string, string[]> Roles { get; } = new Dictionary<string, string[]>
    {
        [Read] = [ApexRoles.Viewer, ApexRoles.Operator, ApexRoles.Approver, ApexRoles.Admin],
        [Operate] = [ApexRoles.Operator, ApexRoles.Admin],
        [Approve] = [ApexRoles.Approver, ApexRoles.Admin],
        [Admin] = [ApexRoles.Admin],
    };

    public static void Add(AuthorizationOptions options)
    {
        foreach (var (name, roles) in Roles)
        {
            options.AddPolicy(name, Build(roles));
        }
        // Default deny at run time: an endpoint mapped without a policy is for admins only (the route test fails on it too).
        options.FallbackPolicy = Build(Roles[Admin]);
        options.DefaultPolicy = Build(Roles[Admin]);
    }

    private static AuthorizationPolicy Build(string[] roles) => new AuthorizationPolicyBuilder(ApexAuthentication.Scheme)
        .RequireAuthenticatedUser()
        .RequireClaim(ApexClaims.Role, roles)
        .Build();
}
