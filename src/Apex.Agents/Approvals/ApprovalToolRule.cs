namespace Apex.Agents.Approvals;

/// <summary>A tool whose calls need approval for an agent, and the risk shown with it (work message field <c>approval_tools</c>).</summary>
/// <param name="Tool">Tool name.</param>
/// <param name="Risk"><c>low</c>, <c>medium</c> or <c>high</c>.</param>
public sealed record ApprovalToolRule(string Tool, string Risk);
