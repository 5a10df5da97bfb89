using Apex.Contracts.Dags;
using Apex.Testing;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Apex.Browser.Tests;

/// <summary>The Submit view and the DAG graph, in Chromium against the real server.</summary>
public sealed class DagSubmitTests(DashboardServer fixture)
{
    private const string Diamond = """
        name: browser-diamond
        tasks:
          - id: research
            instruction: Research the market for LLM agent orchestrators.
          - id: pricing
            instruction: "Find the prices in: {{tasks.research.output}}"
            depends_on: [research]
          - id: features
            instruction: "List the features in: {{tasks.research.output}}"
            depends_on: [research]
          - id: report
            instruction: "Report on {{tasks.pricing.output}} and {{tasks.features.output}}"
            depends_on: [pricing, features]
        """;

    [Fact]
    public async Task Submit_YamlDagFromTheUi_EveryNodeTurnsSucceededLive()
    {
        var ct = TestContext.Current.CancellationToken;
        var page = await fixture.OpenAsync("/submit");
        await fixture.ExpectLiveAsync(page);

        await page.GetByLabel("DAG specification").FillAsync(Diamond);
        await Expect(page.Locator("#spec-status")).ToContainTextAsync("YAML, 4 tasks");
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit DAG" }).ClickAsync();

        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/dags/[0-9a-f-]{36}$"));
        var id = Guid.Parse(page.Url[^36..]);
        var nodes = page.Locator("[data-testid=dag-node]");
        await Expect(nodes).ToHaveCountAsync(4);
        await Expect(page.Locator("[data-testid=dag-node][data-status=succeeded]")).ToHaveCountAsync(4, new() { Timeout = 60_000 });
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "DAG browser-diamond" })).ToContainTextAsync("succeeded");
        // The critical path of a diamond with equal work runs through three of its four nodes.
        await Expect(page.Locator(".dag-node.critical")).ToHaveCountAsync(3);
        await DashboardServer.ScreenshotAsync(page, "dag-succeeded");

        using var client = fixture.Server.CreateClient();
        var dag = await client.GetDagAsync(id, ct);
        Assert.Equal(("browser-diamond", DagState.Succeeded), (dag.Name, dag.Status));
        Assert.Equal(["features", "pricing", "report", "research"], dag.Tasks!.Select(t => t.Key).Order(StringComparer.Ordinal));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Submit_CyclicDag_ShowsTheApiProblemAtTheOffendingNodes()
    {
        var page = await fixture.OpenAsync("/submit");
        const string cycle = """
            {"name": "cyclic", "tasks": [
              {"id": "root", "instruction": "Start."},
              {"id": "a", "instruction": "A.", "depends_on": ["root", "c"]},
              {"id": "b", "instruction": "B.", "depends_on": ["a"]},
              {"id": "c", "instruction": "C.", "depends_on": ["b"]}
            ]}
            """;

        await page.GetByLabel("DAG specification").FillAsync(cycle);
        await Expect(page.Locator("#spec-status")).ToContainTextAsync("JSON, 4 tasks");
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit DAG" }).ClickAsync();

        var problems = page.GetByTestId("problems");
        await Expect(problems).ToContainTextAsync("rejected");
        await Expect(problems).ToContainTextAsync("cycle");
        await Expect(page.Locator(".dag-node.invalid")).ToHaveCountAsync(3);
        foreach (var key in new[] { "a", "b", "c" })
        {
            await Expect(page.Locator($".dag-node[data-key='{key}']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("invalid"));
        }
        await Expect(page.Locator(".dag-node[data-key='root']")).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("invalid"));
        Assert.EndsWith("/submit", page.Url, StringComparison.Ordinal);
        await DashboardServer.ScreenshotAsync(page, "dag-rejected");
        await page.Context.CloseAsync();
    }
}
