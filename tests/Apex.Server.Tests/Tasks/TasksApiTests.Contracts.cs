using Apex.Contracts.Tasks;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Tasks;

public abstract partial class TasksApiTests
{
    [Fact]
    public async Task Contract_TokenLimitBelowOneCallsReservation_FailsTokenLimitExceededWithoutCalling()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;

        // One call reserves its prompt plus Apex:Contracts:DefaultMaxOutputTokens (1,024): 500 tokens never fit.
        var task = await client.CreateTaskAsync(TaskRequest("Write a long report.") with { Limits = new TaskLimits { TokenLimit = 500 } }, ct);
        var done = await client.WaitForTaskAsync(task.Id, Deadline, ct);

        Assert.Equal(TaskState.Failed, done.Status);
        Assert.Equal("token_limit_exceeded", done.Error?.Code);
        Assert.Equal(1, done.Attempt); // a violation is not retried
        Assert.Equal(new TaskUsage(), done.Usage);
    }

    [Fact]
    public async Task Contract_OneCallAllowed_RunsAndACostLimitBelowOneCall_FailsCostLimitExceeded()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        var client = server.Client;

        var ok = await client.WaitForTaskAsync((await client.CreateTaskAsync(
            TaskRequest("One call.") with { Limits = new TaskLimits { ApiCallLimit = 1 } }, ct)).Id, Deadline, ct);
        var none = await client.WaitForTaskAsync((await client.CreateTaskAsync(
            TaskRequest("No call.") with { Limits = new TaskLimits { CostLimit = 0.000001m } }, ct)).Id, Deadline, ct);

        Assert.Equal((TaskState.Succeeded, 1), (ok.Status, ok.Usage.ApiCalls));
        Assert.Equal((TaskState.Failed, "cost_limit_exceeded", 0), (none.Status, none.Error?.Code, none.Usage.ApiCalls));
    }
}
