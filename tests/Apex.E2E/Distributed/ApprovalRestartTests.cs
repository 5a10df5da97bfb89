using Apex.Contracts.Approvals;
using Apex.Contracts.Tasks;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.E2E.Distributed;

[Collection(DistributedCollection.Name)]
public sealed class ApprovalRestartTests
{
    /// <summary>
    /// Approvals survive a restart of the API server process in distributed mode: the server is killed with SIGKILL
    /// while two tasks wait for a human, and a new process on the same PostgreSQL finds the pending approval (approving
    /// it runs the task on the worker) and fails, at once, the one that expired while no server ran.
    /// </summary>
    [Fact]
    public async Task KillHard_ServerWithPendingApprovals_RestartedServerHonoursOneAndExpiresTheOther()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await DistributedCluster.CreateAsync(DistributedCluster.SharedRedisOrSkip(), DistributedCluster.SharedPostgresOrSkip(), ct);
        try
        {
            var settings = ApprovalsHttp.RestartPolicies(hastyTtl: "00:00:02");
            var server = await cluster.StartServerAsync(settings, ct);
            await cluster.StartWorkerAsync("approvals-1", 4, settings, ct);
            Guid kept, expiring, keptApproval, expiringApproval;
            using (var client = server.CreateClient())
            {
                await client.CreateAgentAsync("gated", ct);
                await client.CreateAgentAsync("hasty", ct);
                kept = (await client.CreateTaskAsync(TaskRequest("Gated work.", agent: "gated"), ct)).Id;
                expiring = (await client.CreateTaskAsync(TaskRequest("Hasty work.", agent: "hasty"), ct)).Id;
                keptApproval = (await client.WaitForPendingApprovalAsync(kept, ct)).Id;
                expiringApproval = (await client.WaitForPendingApprovalAsync(expiring, ct)).Id;
            }

            server.KillHard();
            await Task.Delay(TimeSpan.FromSeconds(2.5), ct); // the hasty approval expires while no server runs
            await server.StartAsync(ct);
            using var restarted = server.CreateClient();

            var expired = await restarted.WaitForTaskAsync(expiring, ApprovalsHttp.Deadline, ct);
            Assert.Equal((TaskState.Failed, "approval_expired"), (expired.Status, expired.Error?.Code));
            Assert.Equal(ApprovalState.Expired, (await restarted.GetApprovalAsync(expiringApproval, ct)).Status);
            Assert.Equal(TaskState.AwaitingApproval, (await restarted.GetTaskAsync(kept, ct)).Status);
            var listed = Assert.Single(await restarted.ListApprovalsAsync("status=pending", ct));
            Assert.Equal((keptApproval, kept), (listed.Id, listed.TaskId));

            using (var approve = await restarted.DecideApprovalAsync(keptApproval, "approve", "after the restart", ct))
            {
                approve.EnsureSuccessStatusCode();
            }
            var done = await restarted.WaitForTaskAsync(kept, ApprovalsHttp.Deadline, ct);
            Assert.Equal((TaskState.Succeeded, 2), (done.Status, done.Attempt));
            Assert.Equal(ApprovalState.Used, (await restarted.GetApprovalAsync(keptApproval, ct)).Status);
            await TaskAudit.AssertEventsReplayToRowsAsync(cluster.Postgres, ct);
        }
        catch
        {
            cluster.DumpLogs();
            throw;
        }
    }
}
