using Apex.Contracts.Approvals;
using Apex.Contracts.Tasks;
using Apex.Core.Approvals;
using Apex.Core.Storage;
using Apex.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static Apex.Server.Tests.Approvals.ApprovalAssertions;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Approvals;

/// <summary>Approvals survive a server restart: the embedded server stops and starts again on the same SQLite file.</summary>
public sealed class ApprovalRestartTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "apex-tests", "approvals-restart-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Restart_PendingApprovalsSurvive_ApprovedTaskSucceedsAndOneExpiredWhileDownFailsApprovalExpired()
    {
        var ct = TestContext.Current.CancellationToken;
        Directory.CreateDirectory(_directory);
        var settings = ApprovalsHttp.RestartPolicies(hastyTtl: "00:00:00.001").ToDictionary(p => p.Key, p => (string?)p.Value);
        settings["Apex:Sqlite:Path"] = Path.Combine(_directory, "apex.db");

        Guid kept, expiring, keptApproval, expiringApproval;
        await using (var first = new ApexAppFactory(settings))
        {
            var client = first.CreateClient();
            await client.CreateAgentAsync("gated", ct);
            await client.CreateAgentAsync("hasty", ct);
            kept = (await client.CreateTaskAsync(TaskRequest("Gated work.", agent: "gated"), ct)).Id;
            expiring = (await client.CreateTaskAsync(TaskRequest("Hasty work.", agent: "hasty"), ct)).Id;
            keptApproval = (await client.WaitForPendingApprovalAsync(kept, ct)).Id;
            expiringApproval = (await client.WaitForPendingApprovalAsync(expiring, ct)).Id;
        }

        await using var second = new ApexAppFactory(settings);
        var restarted = second.CreateClient();

        // The start-up sweep fails what expired while no server ran.
        var expired = await restarted.WaitForTaskAsync(expiring, Deadline, ct);
        Assert.Equal((TaskState.Failed, ApprovalActions.ExpiredCode), (expired.Status, expired.Error?.Code));
        Assert.Equal(ApprovalState.Expired, (await restarted.GetApprovalAsync(expiringApproval, ct)).Status);

        Assert.Equal(TaskState.AwaitingApproval, (await restarted.GetTaskAsync(kept, ct)).Status);
        var listed = Assert.Single(await restarted.ListApprovalsAsync("status=pending", ct));
        Assert.Equal((keptApproval, kept), (listed.Id, listed.TaskId));
        using (var approve = await restarted.DecideApprovalAsync(keptApproval, "approve", null, ct))
        {
            approve.EnsureSuccessStatusCode();
        }
        var done = await restarted.WaitForTaskAsync(kept, Deadline, ct);
        Assert.Equal((TaskState.Succeeded, 2), (done.Status, done.Attempt));
        Assert.Equal(ApprovalState.Used, (await restarted.GetApprovalAsync(keptApproval, ct)).Status);

        var store = second.Services.GetRequiredService<IApexStore>();
        await AssertEventsReplayToRowsAsync(store, kept, ct);
        await AssertEventsReplayToRowsAsync(store, expiring, ct);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS's temp cleanup.
        }
    }
}
