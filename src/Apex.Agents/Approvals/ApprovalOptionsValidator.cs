using Microsoft.Extensions.Options;

namespace Apex.Agents.Approvals;

/// <summary>Refuses approval settings that could not work, at start.</summary>
internal sealed class ApprovalOptionsValidator : IValidateOptions<ApprovalOptions>
{
    private static readonly string[] Risks = ["low", "medium", "high"];

    public ValidateOptionsResult Validate(string? name, ApprovalOptions options)
    {
        var failures = new List<string>();
        if (options.DefaultTtl <= TimeSpan.Zero || options.SweepInterval <= TimeSpan.Zero || options.SweepBatch < 1)
        {
            failures.Add("Apex:Approvals:DefaultTtl and SweepInterval must be positive and SweepBatch at least 1.");
        }
        for (var i = 0; i < options.Policies.Count; i++)
        {
            var policy = options.Policies[i];
            var at = $"Apex:Approvals:Policies:{i}";
            if (!policy.Always && policy.CostAbove is null && policy.Tools.Count == 0)
            {
                failures.Add($"{at} asks for nothing: set Tools, CostAbove or Always.");
            }
            if (!Risks.Contains(policy.Risk, StringComparer.Ordinal))
            {
                failures.Add($"{at}:Risk must be low, medium or high, not '{policy.Risk}'.");
            }
            if (policy.CostAbove is < 0)
            {
                failures.Add($"{at}:CostAbove must not be negative.");
            }
            if (policy.Ttl is { } ttl && ttl <= TimeSpan.Zero)
            {
                failures.Add($"{at}:Ttl must be positive.");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
