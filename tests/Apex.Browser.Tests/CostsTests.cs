using Apex.Contracts.Tasks;
using Apex.Testing;
using Microsoft.Playwright;
using Xunit;
using static Apex.Testing.Specs;
using static Microsoft.Playwright.Assertions;

namespace Apex.Browser.Tests;

/// <summary>The Costs view over what the server's tasks spent.</summary>
public sealed class CostsTests(DashboardServer fixture)
{
    [Fact]
    public async Task Costs_ByModelThenByAgent_ShowWhatTheTasksSpent()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = fixture.Server.CreateClient();
        var task = await client.WaitForTaskAsync((await client.CreateTaskAsync(TaskRequest("Price this."), ct)).Id, TimeSpan.FromSeconds(60), ct);
        Assert.Equal(TaskState.Succeeded, task.Status);
        var page = await fixture.OpenAsync("/costs");

        var table = page.GetByTestId("usage-table");
        await Expect(table.GetByRole(AriaRole.Row, new() { Name = "simulated" })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("cost-total").Locator(".value")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^\\$(?!0\\.00$)[0-9.,]+$"));
        await Expect(page.GetByTestId("routing-savings")).ToContainTextAsync("Saved by cascade routing");

        await page.GetByLabel("Group by").SelectOptionAsync("agent");
        await Expect(table.GetByRole(AriaRole.Columnheader, new() { Name = "Agent" })).ToBeVisibleAsync();
        await Expect(table.GetByRole(AriaRole.Row, new() { Name = "default" })).ToBeVisibleAsync();
        await DashboardServer.ScreenshotAsync(page, "costs-by-agent");
        await page.Context.CloseAsync();
    }
}
