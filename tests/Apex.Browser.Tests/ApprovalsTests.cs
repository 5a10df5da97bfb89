using Apex.Contracts.Tasks;
using Apex.Testing;
using Microsoft.Playwright;
using Xunit;
using static Apex.Testing.Specs;
using static Microsoft.Playwright.Assertions;

namespace Apex.Browser.Tests;

/// <summary>The Approvals view: tasks of the gated agent wait for a decision made in the browser.</summary>
public sealed class ApprovalsTests(DashboardServer fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Approve_PendingApproval_TaskLeavesTheListAndSucceeds()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = fixture.Server.CreateClient();
        var task = await client.CreateTaskAsync(TaskRequest("Send the quarterly numbers.", agent: DashboardServer.GatedAgent), ct);
        Assert.Equal(TaskState.AwaitingApproval, (await client.WaitForTaskAsync(task.Id, new HashSet<TaskState> { TaskState.AwaitingApproval }, Deadline, ct)).Status);
        var page = await fixture.OpenAsync("/approvals");
        await fixture.ExpectLiveAsync(page);

        var row = page.Locator($"[data-testid=approval-row][data-task='{task.Id}']");
        await Expect(row).ToContainTextAsync("run");
        await Expect(row).ToContainTextAsync("high");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Approvals" })).ToContainTextAsync("1");
        await DashboardServer.ScreenshotAsync(page, "approval-pending");
        await row.GetByRole(AriaRole.Button, new() { Name = "Approve", Exact = false }).First.ClickAsync();

        await Expect(row).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("approval-message")).ToHaveTextAsync("1 approved.");
        var done = await client.WaitForTaskAsync(task.Id, Deadline, ct);
        Assert.Equal(TaskState.Succeeded, done.Status);
        Assert.Contains("[simulated]", done.Output, StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task BulkDecide_SelectionOfAGroup_ApprovesTheSelectedAndRejectsTheOther()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = fixture.Server.CreateClient();
        var tasks = new List<TaskResponse>();
        for (var i = 0; i < 3; i++)
        {
            tasks.Add(await client.CreateTaskAsync(TaskRequest($"Publish report {i}.", agent: DashboardServer.GatedAgent), ct));
        }
        foreach (var t in tasks)
        {
            await client.WaitForTaskAsync(t.Id, new HashSet<TaskState> { TaskState.AwaitingApproval }, Deadline, ct);
        }
        var page = await fixture.OpenAsync("/approvals");

        await Row(page, tasks[0].Id).GetByRole(AriaRole.Checkbox).CheckAsync();
        await Row(page, tasks[1].Id).GetByRole(AriaRole.Checkbox).CheckAsync();
        var group = page.GetByRole(AriaRole.Group, new() { Name = "Run · high risk" });
        await group.GetByRole(AriaRole.Button, new() { Name = "Approve 2 selected" }).ClickAsync();
        await Expect(page.GetByTestId("approval-message")).ToHaveTextAsync("2 approved.");
        await page.GetByLabel("Reason (optional, recorded with the decision)").FillAsync("not this one");
        await Row(page, tasks[2].Id).GetByRole(AriaRole.Checkbox).CheckAsync();
        await group.GetByRole(AriaRole.Button, new() { Name = "Reject 1 selected" }).ClickAsync();
        await Expect(page.GetByTestId("approval-message")).ToHaveTextAsync("1 rejected.");

        foreach (var t in tasks)
        {
            await Expect(Row(page, t.Id)).ToHaveCountAsync(0);
        }
        Assert.Equal(TaskState.Succeeded, (await client.WaitForTaskAsync(tasks[0].Id, Deadline, ct)).Status);
        Assert.Equal(TaskState.Succeeded, (await client.WaitForTaskAsync(tasks[1].Id, Deadline, ct)).Status);
        var rejected = await client.WaitForTaskAsync(tasks[2].Id, Deadline, ct);
        Assert.Equal((TaskState.Failed, "approval_rejected"), (rejected.Status, rejected.Error?.Code));
        await page.Context.CloseAsync();
    }

    private static ILocator Row(IPage page, Guid task) => page.Locator($"[data-testid=approval-row][data-task='{task}']");
}
