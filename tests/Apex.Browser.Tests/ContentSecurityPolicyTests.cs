using Apex.Testing;
using Microsoft.Playwright;
using Xunit;
using static Apex.Testing.Specs;
using static Microsoft.Playwright.Assertions;

namespace Apex.Browser.Tests;

/// <summary>
/// The dashboard under the server's Content-Security-Policy (docs/security.md, Hardening): every view renders, the
/// WebSocket connects, the DAG graph draws, and Chromium reports no violation of the policy.
/// </summary>
public sealed class ContentSecurityPolicyTests(DashboardServer fixture)
{
    /// <summary>Collects the page's <c>securitypolicyviolation</c> events from the first script on.</summary>
    private const string Recorder = """
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
        """;

    [Fact]
    public async Task EveryView_UnderThePolicy_WorksWithoutAViolation()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = fixture.Server.CreateClient();
        var dag = await client.CreateDagAsync(Dag(Node("one", "First."), Node("two", "Second: {{tasks.one.output}}", "one")) with { Name = "csp-dag" }, ct);
        var page = await fixture.OpenAsync("/submit");
        await page.Context.AddInitScriptAsync(Recorder);
        var document = await page.GotoAsync("/");
        Assert.Contains("script-src 'self'", await document!.HeaderValueAsync("content-security-policy"), StringComparison.Ordinal);
        await fixture.ExpectLiveAsync(page);

        foreach (var (link, view) in new[] { ("Agents", "/agents"), ("DAGs", "/dags"), ("Approvals", "/approvals"), ("Costs", "/costs"), ("Submit", "/submit"), ("Overview", "/") })
        {
            await page.GetByRole(AriaRole.Link, new() { Name = link, Exact = true }).First.ClickAsync();
            await Expect(page).ToHaveURLAsync($"{fixture.Server.BaseAddress.ToString().TrimEnd('/')}{view}");
        }
        // A new document starts a new record: keep the first one's.
        var violations = new List<string>(await page.EvaluateAsync<string[]>("window.__cspViolations"));
        await page.GotoAsync($"/dags/{dag.Id}");
        await Expect(page.Locator("[data-testid=dag-node]")).ToHaveCountAsync(2);
        await Expect(page.Locator("[data-testid=dag-node][data-status=succeeded]")).ToHaveCountAsync(2, new() { Timeout = 60_000 });
        await fixture.ExpectLiveAsync(page);

        violations.AddRange(await page.EvaluateAsync<string[]>("window.__cspViolations"));
        Assert.Empty(violations);
        await page.Context.CloseAsync();
    }
}
