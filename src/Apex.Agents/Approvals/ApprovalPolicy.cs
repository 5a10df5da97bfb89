using Apex.Core.Approvals;
using Microsoft.Extensions.Options;

namespace Apex.Agents.Approvals;

/// <summary>
/// Evaluates <see cref="ApprovalOptions.Policies"/>: whether an attempt may start (<c>Always</c>, <c>CostAbove</c>),
/// which tools need approval for an agent, and how long an approval may wait.
/// </summary>
public sealed class ApprovalPolicy(IOptions<ApprovalOptions> options)
{
    private readonly ApprovalOptions _options = options.Value;

    /// <summary>True when no policy is configured: nothing ever needs approval, and nothing needs looking up.</summary>
    public bool IsEmpty => _options.Policies.Count == 0;

    /// <summary>
    /// What an attempt of <paramref name="agent"/> must have approved before it starts, or null. The estimate is what the
    /// attempt may spend (its contract's cost limit); none means unbounded, which is above any threshold.
    /// </summary>
    public ApprovalRequest? ForRun(string agent, string instruction, decimal? estimatedCostUsd)
    {
        foreach (var policy in _options.Policies)
        {
            if (!policy.Covers(agent))
            {
                continue;
            }
            if (policy.Always)
            {
                return Run(instruction, policy.Risk, $"Run agent '{agent}' (policy: always)");
            }
            if (policy.CostAbove is { } threshold && (estimatedCostUsd is null || estimatedCostUsd > threshold))
            {
                var estimate = estimatedCostUsd is { } cost ? $"up to ${cost}" : "with no cost limit";
                return Run(instruction, policy.Risk, $"Run agent '{agent}' {estimate} (policy: cost above ${threshold})");
            }
        }
        return null;
    }

    /// <summary>The tools whose calls need approval for <paramref name="agent"/>, each with the first covering policy's risk.</summary>
    public IReadOnlyList<ApprovalToolRule> ToolRulesFor(string agent)
    {
        var rules = new List<ApprovalToolRule>();
        foreach (var policy in _options.Policies.Where(p => p.Covers(agent)))
        {
            foreach (var tool in policy.Tools.Where(t => !rules.Exists(r => r.Tool == t)))
            {
                rules.Add(new ApprovalToolRule(tool, policy.Risk));
            }
        }
        return rules;
    }

    /// <summary>
    /// How long <paramref name="request"/> of <paramref name="agent"/> may wait: the asking policy's TTL, else the default.
    /// A null agent (a remote worker's result names none) takes the first policy of any agent that asks for such a request.
    /// </summary>
    public TimeSpan TtlFor(string? agent, ApprovalRequest request)
    {
        foreach (var policy in _options.Policies.Where(p => (agent is null || p.Covers(agent)) && p.Ttl is not null))
        {
            var asks = request.Action == ApprovalActions.Run
                ? policy.Always || policy.CostAbove is not null
                : policy.Tools.Contains(request.Tool, StringComparer.Ordinal);
            if (asks)
            {
                return policy.Ttl!.Value;
            }
        }
        return _options.DefaultTtl;
    }

    /// <summary>A gate for one attempt of <paramref name="agent"/> holding <paramref name="grants"/>.</summary>
    public ApprovalGate GateFor(string agent, IReadOnlyList<ApprovalGrant> grants) => IsEmpty && grants.Count == 0
        ? ApprovalGate.Open
        : new ApprovalGate(ToolRulesFor(agent), grants);

    private static ApprovalRequest Run(string instruction, string risk, string summary) =>
        new(ApprovalActions.Run, "", ApprovalHash.OfText(instruction), risk, summary);
}
