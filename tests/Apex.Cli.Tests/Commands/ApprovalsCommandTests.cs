using Xunit;

namespace Apex.Cli.Tests.Commands;

public sealed class ApprovalsCommandTests
{
    private const string Json = "application/json";

    private static readonly Guid ApprovalId = Guid.CreateVersion7();
    private static readonly Guid TaskId = Guid.CreateVersion7();

    [Fact]
    public async Task List_PendingApproval_AsksForPendingAndPrintsIt()
    {
        await using var server = new FakeApexServer((_, _) => (200, Json, $$"""
            {"items":[{{Approval("pending")}}],"next_cursor":null}
            """));

        var (exitCode, output, error) = await CliRunner.InvokeAsync("approvals", "list", "--server", server.Url);

        Assert.Equal((0, ""), (exitCode, error));
        Assert.Contains(ApprovalId.ToString(), output, StringComparison.Ordinal);
        Assert.Contains("tool_call http_fetch", output, StringComparison.Ordinal);
        Assert.Contains("high", output, StringComparison.Ordinal);
        var request = Assert.Single(server.Requests);
        Assert.Equal(("GET", "/api/v1/approvals?status=pending&limit=200"), (request.Method, request.PathAndQuery));
    }

    [Fact]
    public async Task Approve_Pending_PostsTheDecisionWithTheReasonAndPrintsTheNewStatus()
    {
        await using var server = new FakeApexServer((_, _) => (200, Json, Approval("approved")));

        var (exitCode, output, _) = await CliRunner.InvokeAsync("approvals", "approve", ApprovalId.ToString(), "--reason", "checked", "--server", server.Url);

        Assert.Equal(0, exitCode);
        Assert.Contains($"Approval {ApprovalId} approved", output, StringComparison.Ordinal);
        var request = Assert.Single(server.Requests);
        Assert.Equal(("POST", $"/api/v1/approvals/{ApprovalId}/approve"), (request.Method, request.PathAndQuery));
        Assert.Contains("\"reason\":\"checked\"", request.Body, StringComparison.Ordinal);
        Assert.Contains("\"decided_by\":\"cli\"", request.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reject_AlreadyDecided_ExitsOneWithTheProblemCode()
    {
        await using var server = new FakeApexServer((_, _) => (409, "application/problem+json", """
            {"title":"The request conflicts with the current state.","status":409,"code":"approval_not_pending","detail":"The approval is already approved."}
            """));

        var (exitCode, output, error) = await CliRunner.InvokeAsync("approvals", "reject", ApprovalId.ToString(), "--server", server.Url);

        Assert.Equal(1, exitCode);
        Assert.Empty(output);
        Assert.Contains("approval_not_pending", error, StringComparison.Ordinal);
        Assert.Equal($"/api/v1/approvals/{ApprovalId}/reject", Assert.Single(server.Requests).PathAndQuery);
    }

    private static string Approval(string status) => $$"""
        {"id":"{{ApprovalId}}","task_id":"{{TaskId}}","action":"tool_call","tool":"http_fetch","args_hash":"{{new string('a', 64)}}",
         "risk":"high","summary":"Call http_fetch with {}","status":"{{status}}","created_at":"2025-01-01T00:00:00Z","expires_at":"2025-01-02T00:00:00Z"}
        """;
}
