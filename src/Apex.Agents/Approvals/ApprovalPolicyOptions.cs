namespace Apex.Agents.Approvals;

/// <summary>One approval policy: whose actions it covers, and which of them need a human's approval.</summary>
public sealed class ApprovalPolicyOptions
{
    /// <summary>The agent it applies to; null or <c>*</c> for every agent.</summary>
    public string? Agent { get; set; }

    /// <summary>Tools whose every call (per exact arguments) needs approval.</summary>
    public List<string> Tools { get; set; } = [];

    /// <summary>An attempt whose estimated cost in US dollars is above this needs approval before it starts.</summary>
    public decimal? CostAbove { get; set; }

    /// <summary>Every attempt needs approval before it starts.</summary>
    public bool Always { get; set; }

    /// <summary><c>low</c>, <c>medium</c> or <c>high</c>: shown with the approval.</summary>
    public string Risk { get; set; } = "medium";

    /// <summary>Overrides <see cref="ApprovalOptions.DefaultTtl"/> for the approvals this policy asks for.</summary>
    public TimeSpan? Ttl { get; set; }

    /// <summary>True when the policy covers <paramref name="agent"/>.</summary>
    public bool Covers(string agent) => Agent is null or "*" || string.Equals(Agent, agent, StringComparison.Ordinal);
}
