using Apex.Agents.Approvals;
using Apex.Core.Approvals;
using Xunit;

namespace Apex.Agents.Tests.Approvals;

public sealed class ApprovalGateTests
{
    private static readonly ApprovalToolRule[] FetchNeedsApproval = [new("http_fetch", "high")];

    [Fact]
    public void TryPassTool_UnlistedTool_PassesWithoutAGrant()
    {
        var gate = new ApprovalGate(FetchNeedsApproval, []);

        Assert.True(gate.TryPassTool("calculator", """{"expression":"1+1"}"""));
        Assert.Null(gate.Pending);
        gate.ThrowIfPending();
    }

    [Fact]
    public void TryPassTool_ListedToolWithoutGrant_HoldsItBackAndThrowsTheRequest()
    {
        var gate = new ApprovalGate(FetchNeedsApproval, []);

        Assert.False(gate.TryPassTool("http_fetch", """{"url":"https://example.com"}"""));

        var e = Assert.Throws<ApprovalRequiredException>(gate.ThrowIfPending);
        Assert.Equal((ApprovalActions.ToolCall, "http_fetch", "high"), (e.Request.Action, e.Request.Tool, e.Request.Risk));
        Assert.Equal(ApprovalHash.OfArguments("""{"url":"https://example.com"}"""), e.Request.ArgsHash);
        Assert.Contains("https://example.com", e.Request.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void TryPassTool_GrantForTheseArguments_PassesOnceOnly()
    {
        var grant = new ApprovalGrant(Guid.NewGuid(), Guid.NewGuid(), ApprovalActions.ToolCall, "http_fetch",
            ApprovalHash.OfArguments("""{"url":"https://example.com","method":"GET"}"""));
        var gate = new ApprovalGate(FetchNeedsApproval, [grant]);

        // The same arguments in another key order hash the same.
        Assert.True(gate.TryPassTool("http_fetch", """{ "method": "GET", "url": "https://example.com" }"""));
        Assert.False(gate.TryPassTool("http_fetch", """{"url":"https://example.com","method":"GET"}"""));
        Assert.Equal([grant.Id], gate.Used);
    }

    [Fact]
    public void TryPassTool_GrantForOtherArguments_DoesNotCoverTheCall()
    {
        var grant = new ApprovalGrant(Guid.NewGuid(), Guid.NewGuid(), ApprovalActions.ToolCall, "http_fetch",
            ApprovalHash.OfArguments("""{"url":"https://example.com"}"""));
        var gate = new ApprovalGate(FetchNeedsApproval, [grant]);

        Assert.False(gate.TryPassTool("http_fetch", """{"url":"https://evil.example"}"""));
        Assert.Empty(gate.Used);
    }

    [Fact]
    public void UseRunGrants_RunGrantHandedToTheAttempt_IsReportedUsed()
    {
        var run = new ApprovalGrant(Guid.NewGuid(), Guid.NewGuid(), ApprovalActions.Run, "", ApprovalHash.OfText("x"));
        var tool = new ApprovalGrant(Guid.NewGuid(), run.TaskId, ApprovalActions.ToolCall, "http_fetch", ApprovalHash.OfArguments("{}"));
        var gate = new ApprovalGate(FetchNeedsApproval, [run, tool]);

        gate.UseRunGrants();

        Assert.Equal([run.Id], gate.Used);
    }
}
