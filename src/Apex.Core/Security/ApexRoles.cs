namespace Apex.Core.Security;

/// <summary>The roles an API key or a token may carry (docs/security.md has what each may do).</summary>
public static class ApexRoles
{
    /// <summary>Everything, keys included.</summary>
    public const string Admin = "admin";

    /// <summary>Submits, cancels and retries tasks and DAGs; manages agents; reads.</summary>
    public const string Operator = "operator";

    /// <summary>Reads: tasks, DAGs, agents, approvals, usage, stats, live events.</summary>
    public const string Viewer = "viewer";

    /// <summary>Decides approvals; reads.</summary>
    public const string Approver = "approver";

    /// <summary>Reserved for worker processes; no API route accepts it today (workers talk to Redis).</summary>
    public const string Worker = "worker";

    /// <summary>Every role, in the order they are documented.</summary>
    public static IReadOnlyList<string> All { get; } = [Admin, Operator, Viewer, Approver, Worker];

    /// <summary>The role named <paramref name="name"/> (case-insensitive), as its constant; null when there is none.</summary>
    public static string? Find(string? name) =>
        All.FirstOrDefault(r => string.Equals(r, name?.Trim(), StringComparison.OrdinalIgnoreCase));
}
