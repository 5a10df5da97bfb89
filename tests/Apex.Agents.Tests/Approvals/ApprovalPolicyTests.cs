using Apex.Agents.Approvals;
using Apex.Core.Approvals;
using Microsoft.Extensions.Options;
using Xunit;

namespace Apex.Agents.Tests.Approvals;

public sealed class ApprovalPolicyTests
{
    private static ApprovalPolicy Policy(params ApprovalPolicyOptions[] policies) =>
        new(Options.Create(new ApprovalOptions { Policies = [.. policies], DefaultTtl = TimeSpan.FromHours(24) }));

    [Fact]
    public void ForRun_AlwaysForOneAgent_AsksForThatAgentOnly()
    {
        var policy = Policy(new ApprovalPolicyOptions { Agent = "ops", Always = true, Risk = "high" });

        var request = policy.ForRun("ops", "Deploy.", 1m);

        Assert.NotNull(request);
        Assert.Equal((ApprovalActions.Run, "", "high", ApprovalHash.OfText("Deploy.")), (request.Action, request.Tool, request.Risk, request.ArgsHash));
        Assert.Null(policy.ForRun("writer", "Deploy.", 1m));
    }

    [Theory]
    [InlineData("0.50", false)]
    [InlineData("2.00", true)]
    [InlineData(null, true)]
    public void ForRun_CostAbove_AsksWhenTheEstimateIsAboveOrUnbounded(string? estimate, bool asks)
    {
        var policy = Policy(new ApprovalPolicyOptions { CostAbove = 1m });

        var request = policy.ForRun("any", "Work.", estimate is null ? null : decimal.Parse(estimate, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(asks, request is not null);
    }

    [Fact]
    public void ToolRulesAndTtl_WildcardAndAgentPolicies_CombineAndTheAskingPolicysTtlWins()
    {
        var policy = Policy(
            new ApprovalPolicyOptions { Agent = "*", Tools = ["http_fetch"], Risk = "medium" },
            new ApprovalPolicyOptions { Agent = "ops", Tools = ["http_fetch", "scratchpad_write"], Risk = "high", Ttl = TimeSpan.FromMinutes(5) });

        Assert.Equal([new ApprovalToolRule("http_fetch", "medium"), new ApprovalToolRule("scratchpad_write", "high")], policy.ToolRulesFor("ops"));
        Assert.Equal([new ApprovalToolRule("http_fetch", "medium")], policy.ToolRulesFor("writer"));
        var write = new ApprovalRequest(ApprovalActions.ToolCall, "scratchpad_write", "h", "high", "s");
        Assert.Equal(TimeSpan.FromMinutes(5), policy.TtlFor("ops", write));
        Assert.Equal(TimeSpan.FromHours(24), policy.TtlFor("writer", write));
    }

    [Fact]
    public void Validate_PolicyAskingForNothingOrWithAnUnknownRisk_Fails()
    {
        var result = new ApprovalOptionsValidator().Validate(null, new ApprovalOptions
        {
            Policies = [new ApprovalPolicyOptions { Agent = "ops" }, new ApprovalPolicyOptions { Always = true, Risk = "extreme" }],
        });

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("Policies:0 asks for nothing", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("Policies:1:Risk", StringComparison.Ordinal));
    }
}
