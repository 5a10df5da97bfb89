using System.Net;
using Apex.Contracts.Approvals;
using Apex.Contracts.Tasks;
using Apex.Core.Approvals;
using Apex.Core.Storage;
using Apex.Server.Tests.Conformance;
using Apex.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static Apex.Server.Tests.Approvals.ApprovalAssertions;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Approvals;

/// <summary>The approval flow, on each backend (see <see cref="ApexBackend"/>).</summary>
public abstract class ApprovalsApiTests(ApexBackend backend)
{
    [Fact]
    public async Task Approve_PendingApproval_TaskRunsOnceMoreAndSucceedsAndTheApprovalIsUsed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync(AlwaysFor("gated"));
        var client = server.Client;
        await client.CreateAgentAsync("gated", ct);
        var free = await client.CreateTaskAsync(TaskRequest("Not gated."), ct);
        var task = await client.CreateTaskAsync(TaskRequest("Gated work.", agent: "gated"), ct);

        var pending = await client.WaitForPendingApprovalAsync(task.Id, ct);
        Assert.Equal((ApprovalActions.Run, "", "high", ApprovalState.Pending), (pending.Action, pending.Tool, pending.Risk, pending.Status));
        Assert.Equal(64, pending.ArgsHash.Length);
        Assert.InRange(pending.ExpiresAt - pending.CreatedAt, TimeSpan.FromHours(23.9), TimeSpan.FromHours(24.1));
        Assert.Equal(TaskState.Succeeded, (await client.WaitForTaskAsync(free.Id, Deadline, ct)).Status);

        using var approved = await client.DecideApprovalAsync(pending.Id, "approve", "looks fine", ct);
        var decided = await approved.ReadAsync(Contracts.ApexJsonContext.Default.ApprovalResponse, ct);
        Assert.Equal((ApprovalState.Approved, "tester", "looks fine"), (decided.Status, decided.DecidedBy, decided.Reason));

        var done = await client.WaitForTaskAsync(task.Id, Deadline, ct);
        Assert.Equal(TaskState.Succeeded, done.Status);
        Assert.Equal(2, done.Attempt);
        Assert.Equal(ApprovalState.Used, (await client.GetApprovalAsync(pending.Id, ct)).Status);
        var again = await Problem.ReadAsync(await client.DecideApprovalAsync(pending.Id, "approve", null, ct), ct);
        Assert.Equal((HttpStatusCode.Conflict, ApprovalActions.NotPendingCode), (again.Status, again.Code));
        Assert.Empty(await client.ListApprovalsAsync("status=pending", ct));
        await server.WaitForIdleAsync(Deadline, ct);
        await AssertEventsReplayToRowsAsync(server.Services.GetRequiredService<IApexStore>(), task.Id, ct);
    }

    [Fact]
    public async Task Reject_PendingApproval_FailsTheTaskWithApprovalRejectedAndSkipsItsDependents()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync(AlwaysFor("gated"));
        var client = server.Client;
        await client.CreateAgentAsync("gated", ct);
        var dag = await client.CreateDagAsync(Dag(Node("first", "Gated step.") with { Agent = "gated" }, Node("second", "After {{tasks.first.output}}.", "first")), ct);
        var first = dag.Tasks!.Single(t => t.Key == "first").Id;

        var pending = await client.WaitForPendingApprovalAsync(first, ct);
        using var rejected = await client.DecideApprovalAsync(pending.Id, "reject", "too risky", ct);
        Assert.Equal(HttpStatusCode.OK, rejected.StatusCode);

        var failed = await client.WaitForTaskAsync(first, Deadline, ct);
        Assert.Equal((TaskState.Failed, ApprovalActions.RejectedCode), (failed.Status, failed.Error?.Code));
        Assert.Contains("too risky", failed.Error!.Message, StringComparison.Ordinal);
        var finished = await client.WaitForDagAsync(dag.Id, Deadline, ct);
        Assert.Equal(Contracts.Dags.DagState.Failed, finished.Status);
        Assert.Equal(TaskState.Skipped, finished.Tasks!.Single(t => t.Key == "second").Status);
        var again = await Problem.ReadAsync(await client.DecideApprovalAsync(pending.Id, "approve", null, ct), ct);
        Assert.Equal((HttpStatusCode.Conflict, ApprovalActions.NotPendingCode), (again.Status, again.Code));
        await AssertEventsReplayToRowsAsync(server.Services.GetRequiredService<IApexStore>(), first, ct);
    }

    [Fact]
    public async Task Expiry_NobodyDecides_FailsTheTaskWithApprovalExpired()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = AlwaysFor("gated", ttl: "00:00:00.300");
        settings["Apex:Approvals:SweepInterval"] = "00:00:00.100";
        await using var server = await backend.StartAsync(settings);
        var client = server.Client;
        await client.CreateAgentAsync("gated", ct);
        var task = await client.CreateTaskAsync(TaskRequest("Gated work.", agent: "gated"), ct);

        var failed = await client.WaitForTaskAsync(task.Id, Deadline, ct);

        Assert.Equal((TaskState.Failed, ApprovalActions.ExpiredCode), (failed.Status, failed.Error?.Code));
        var approval = Assert.Single(await client.ListApprovalsAsync($"task_id={task.Id}", ct));
        Assert.Equal(ApprovalState.Expired, approval.Status);
        var late = await Problem.ReadAsync(await client.DecideApprovalAsync(approval.Id, "approve", null, ct), ct);
        Assert.Equal((HttpStatusCode.Conflict, ApprovalActions.NotPendingCode), (late.Status, late.Code));
        await AssertEventsReplayToRowsAsync(server.Services.GetRequiredService<IApexStore>(), task.Id, ct);
    }

    [Fact]
    public async Task Cancel_TaskAwaitingApproval_CancelsItAndWithdrawsTheApproval()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync(AlwaysFor("gated"));
        var client = server.Client;
        await client.CreateAgentAsync("gated", ct);
        var task = await client.CreateTaskAsync(TaskRequest("Gated work.", agent: "gated"), ct);
        var pending = await client.WaitForPendingApprovalAsync(task.Id, ct);

        using var cancel = await client.PostAsync($"/api/v1/tasks/{task.Id}/cancel", null, ct);

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal(TaskState.Cancelled, (await client.GetTaskAsync(task.Id, ct)).Status);
        Assert.Equal(ApprovalState.Cancelled, (await client.GetApprovalAsync(pending.Id, ct)).Status);
        var late = await Problem.ReadAsync(await client.DecideApprovalAsync(pending.Id, "approve", null, ct), ct);
        Assert.Equal((HttpStatusCode.Conflict, ApprovalActions.NotPendingCode), (late.Status, late.Code));
        await AssertEventsReplayToRowsAsync(server.Services.GetRequiredService<IApexStore>(), task.Id, ct);
    }

    [Fact]
    public async Task Decide_UnknownApproval_Returns404()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();

        var problem = await Problem.ReadAsync(await server.Client.DecideApprovalAsync(Guid.NewGuid(), "approve", null, ct), ct);
        var list = await Problem.ReadAsync(await server.Client.GetAsync("/api/v1/approvals?status=maybe", ct), ct);

        Assert.Equal((HttpStatusCode.NotFound, "approval_not_found"), (problem.Status, problem.Code));
        Assert.Equal("invalid_status", list.Code);
    }

    /// <summary>On SQLite with in-process workers.</summary>
    public sealed class Embedded(EmbeddedBackend backend) : ApprovalsApiTests(backend), IClassFixture<EmbeddedBackend>;

    /// <summary>On PostgreSQL and Redis Streams with a worker process.</summary>
    [Collection(DistributedBackend.Collection)]
    public sealed class Distributed(DistributedBackend backend) : ApprovalsApiTests(backend);
}
