using System.Net.Http.Json;
using Apex.Contracts;
using Apex.Contracts.Agents;
using Apex.Contracts.Approvals;
using Apex.Contracts.Common;
using Apex.Contracts.Tasks;
using Apex.Core;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Testing;
using Xunit;

namespace Apex.Server.Tests.Approvals;

/// <summary>What the approval tests of both backends and of the restart share.</summary>
internal static class ApprovalAssertions
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public static readonly IReadOnlySet<TaskState> Awaiting = new HashSet<TaskState> { TaskState.AwaitingApproval };

    /// <summary>Every attempt of agent <paramref name="agent"/> needs approval before it starts.</summary>
    public static Dictionary<string, string?> AlwaysFor(string agent, string? ttl = null) => new()
    {
        ["Apex:Approvals:Policies:0:Agent"] = agent,
        ["Apex:Approvals:Policies:0:Always"] = "true",
        ["Apex:Approvals:Policies:0:Risk"] = "high",
        ["Apex:Approvals:Policies:0:Ttl"] = ttl,
    };

    public static async Task CreateAgentAsync(HttpClient client, string name, CancellationToken cancellationToken)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/agents", new AgentRequest { Name = name }, ApexJsonContext.Default.AgentRequest, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public static async Task<IReadOnlyList<ApprovalResponse>> ListAsync(HttpClient client, string query, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync($"/api/v1/approvals?{query}", cancellationToken);
        return (await response.ReadAsync(ApexJsonContext.Default.PageApprovalResponse, cancellationToken)).Items;
    }

    public static async Task<ApprovalResponse> GetAsync(HttpClient client, Guid id, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync($"/api/v1/approvals/{id}", cancellationToken);
        return await response.ReadAsync(ApexJsonContext.Default.ApprovalResponse, cancellationToken);
    }

    /// <summary>Waits until the task awaits approval and returns its one pending approval.</summary>
    public static async Task<ApprovalResponse> WaitForPendingAsync(HttpClient client, Guid taskId, CancellationToken cancellationToken)
    {
        await client.WaitForTaskAsync(taskId, Awaiting, Deadline, cancellationToken);
        return Assert.Single(await ListAsync(client, $"status=pending&task_id={taskId}", cancellationToken));
    }

    public static Task<HttpResponseMessage> DecideAsync(HttpClient client, Guid id, string verb, string? reason, CancellationToken cancellationToken) =>
        client.PostAsJsonAsync($"/api/v1/approvals/{id}/{verb}", new DecideApprovalRequest { Reason = reason, DecidedBy = "tester" },
            ApexJsonContext.Default.DecideApprovalRequest, cancellationToken);

    /// <summary>Folds the task's and the approvals' events from the store and compares them with the stored rows.</summary>
    public static async Task AssertEventsReplayToRowsAsync(IApexStore store, Guid taskId, CancellationToken cancellationToken)
    {
        var taskEvents = await store.GetEventsAsync(Tenancy.DefaultTenant, EventTypes.Task, taskId, 0, 1_000, cancellationToken);
        Assert.Equal(await store.GetTaskAsync(Tenancy.DefaultTenant, taskId, cancellationToken), TaskProjection.Fold(taskEvents));
        var approvals = await store.ListApprovalsAsync(new() { TenantId = Tenancy.DefaultTenant, TaskId = taskId, Limit = 100 }, cancellationToken);
        Assert.NotEmpty(approvals.Items);
        foreach (var approval in approvals.Items)
        {
            var events = await store.GetEventsAsync(Tenancy.DefaultTenant, EventTypes.Approval, approval.Id, 0, 1_000, cancellationToken);
            Assert.Equal(approval, ApprovalProjection.Fold(events));
        }
    }
}
