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
    public static readonly TimeSpan Deadline = ApprovalsHttp.Deadline;

    /// <summary>Every attempt of agent <paramref name="agent"/> needs approval before it starts.</summary>
    public static Dictionary<string, string?> AlwaysFor(string agent, string? ttl = null) => new()
    {
        ["Apex:Approvals:Policies:0:Agent"] = agent,
        ["Apex:Approvals:Policies:0:Always"] = "true",
        ["Apex:Approvals:Policies:0:Risk"] = "high",
        ["Apex:Approvals:Policies:0:Ttl"] = ttl,
    };

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
