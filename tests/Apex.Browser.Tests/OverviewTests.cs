using Apex.Contracts.Dags;
using Apex.Testing;
using Microsoft.Playwright;
using Xunit;
using static Apex.Testing.Specs;
using static Microsoft.Playwright.Assertions;

namespace Apex.Browser.Tests;

/// <summary>The Overview, the landing page at <c>/</c>, and the shell around every view.</summary>
public sealed class OverviewTests(DashboardServer fixture)
{
    [Fact]
    public async Task Overview_AfterADagRuns_ShowsThroughputCostAndTheDag()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = fixture.Server.CreateClient();
        var dag = await client.CreateDagAsync(Dag(Node("one", "First."), Node("two", "Second: {{tasks.one.output}}", "one")) with { Name = "overview-dag" }, ct);
        Assert.Equal(DagState.Succeeded, (await client.WaitForDagAsync(dag.Id, TimeSpan.FromSeconds(60), ct)).Status);

        var page = await fixture.OpenAsync("/");

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview", Level = 1 })).ToBeVisibleAsync();
        // Two tasks in the last minute at least (other tests' too): a non-zero rate and cost.
        await Expect(page.GetByTestId("tasks-per-second").Locator(".value")).Not.ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^(—|0\\.00)$"));
        await Expect(page.GetByTestId("cost-per-hour").Locator(".value")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^\\$(?!0\\.00$)[0-9.,]+$"));
        await Expect(page.GetByTestId("workers").Locator(".value")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^\\d+ / \\d+$"));
        await Expect(page.GetByTestId("queue-depth").Locator(".value")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^\\d+$"));
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "overview-dag" }).First).ToBeVisibleAsync();
        var html = page.Locator("html");
        var first = await html.GetAttributeAsync("data-theme");
        Assert.Contains(first, new[] { "dark", "light" });
        var other = first == "dark" ? "light" : "dark";
        await DashboardServer.ScreenshotAsync(page, $"overview-{first}");

        await page.GetByRole(AriaRole.Button, new() { Name = $"Switch to {other} theme" }).ClickAsync();
        await Expect(html).ToHaveAttributeAsync("data-theme", other);
        await DashboardServer.ScreenshotAsync(page, $"overview-{other}");
        await page.ReloadAsync();
        await Expect(html).ToHaveAttributeAsync("data-theme", other);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Keyboard_SkipLinkAndSectionLinks_ReachEveryViewWithoutAMouse()
    {
        var page = await fixture.OpenAsync("/");
        var skip = page.GetByRole(AriaRole.Link, new() { Name = "Skip to content" });
        // The first Tab must find the page rendered: on a busy machine it can come before React drew anything to focus.
        await Expect(skip).ToBeAttachedAsync();

        await page.Keyboard.PressAsync("Tab");
        await Expect(skip).ToBeFocusedAsync();
        foreach (var (name, heading) in new[] { ("Agents", "Agents"), ("DAGs", "DAGs"), ("Approvals", "Approvals"), ("Costs", "Costs"), ("Submit", "Submit a DAG") })
        {
            var link = page.GetByRole(AriaRole.Navigation, new() { Name = "Sections" }).GetByRole(AriaRole.Link, new() { Name = name });
            await link.FocusAsync();
            await page.Keyboard.PressAsync("Enter");
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = heading, Level = 1 })).ToBeVisibleAsync();
            await Expect(link).ToHaveAttributeAsync("aria-current", "page");
            await Expect(page.Locator("main")).ToBeFocusedAsync();
        }
        await page.Context.CloseAsync();
    }
}
