using System.Net.Http.Json;
using Apex.Contracts;
using Apex.Contracts.Agents;
using Apex.Contracts.Approvals;
using Apex.Contracts.Tasks;
using Xunit;

namespace Apex.Testing;

/// <summary>The approvals API over HTTP, for the tests of every backend and of restarts.</summary>
public static class ApprovalsHttp
{
    /// <summary>How long a test waits for a task to reach a state.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>The one state a held task waits in.</summary>
    public static readonly IReadOnlySet<TaskState> Awaiting = new HashSet<TaskState> { TaskState.AwaitingApproval };

    /// <summary>
    /// The restart tests' policies: every task of agent <c>gated</c> waits for approval (24 h), every task of agent
    /// <c>hasty</c> too, for <paramref name="hastyTtl"/>; no sweep runs while the first server does, so the hasty
    /// approval can only expire across the restart.
    /// </summary>
    public static Dictionary<string, string> RestartPolicies(string hastyTtl) => new()
    {
        ["Apex:Approvals:SweepInterval"] = "01:00:00",
        ["Apex:Approvals:Policies:0:Agent"] = "gated",
        ["Apex:Approvals:Policies:0:Always"] = "true",
        ["Apex:Approvals:Policies:1:Agent"] = "hasty",
        ["Apex:Approvals:Policies:1:Always"] = "true",
        ["Apex:Approvals:Policies:1:Ttl"] = hastyTtl,
    };

    public static async Task CreateAgentAsync(this HttpClient client, string name, CancellationToken cancellationToken)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/agents", new AgentRequest { Name = name }, ApexJsonContext.Default.AgentRequest, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public static async Task<IReadOnlyList<ApprovalResponse>> ListApprovalsAsync(this HttpClient client, string query, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync($"/api/v1/approvals?{query}", cancellationToken);
        return (await response.ReadAsync(ApexJsonContext.Default.PageApprovalResponse, cancellationToken)).Items;
    }

    public static async Task<ApprovalResponse> GetApprovalAsync(this HttpClient client, Guid id, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync($"/api/v1/approvals/{id}", cancellationToken);
        return await response.ReadAsync(ApexJsonContext.Default.ApprovalResponse, cancellationToken);
    }

    /// <summary>Waits until the task awaits approval and returns its one pending approval.</summary>
    public static async Task<ApprovalResponse> WaitForPendingApprovalAsync(this HttpClient client, Guid taskId, CancellationToken cancellationToken)
    {
        await client.WaitForTaskAsync(taskId, Awaiting, Deadline, cancellationToken);
        return Assert.Single(await ListApprovalsAsync(client, $"status=pending&task_id={taskId}", cancellationToken));
    }

    public static Task<HttpResponseMessage> DecideApprovalAsync(this HttpClient client, Guid id, string verb, string? reason, CancellationToken cancellationToken) =>
        client.PostAsJsonAsync($"/api/v1/approvals/{id}/{verb}", new DecideApprovalRequest { Reason = reason, DecidedBy = "tester" },
            ApexJsonContext.Default.DecideApprovalRequest, cancellationToken);
}
