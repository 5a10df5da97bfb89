using System.Globalization;
using System.Net.Http.Json;
using Apex.Contracts;
using Apex.Contracts.Agents;
using Apex.Testing;
using Microsoft.Playwright;
using Xunit;

[assembly: AssemblyFixture(typeof(Apex.Browser.Tests.DashboardServer))]
// One server and one browser on a shared machine: the frame-rate measurement must not compete with other tests.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Apex.Browser.Tests;

/// <summary>
/// One real Apex.Server (the built assembly as a child process, embedded SQLite, Simulated provider) on a free
/// loopback port, serving the built dashboard, and one headless Chromium (the system's, <c>/usr/bin/chromium</c> or
/// <c>APEX_CHROMIUM</c>) driven by Playwright, shared by every test. Tasks of the agent <see cref="GatedAgent"/> wait
/// for a human's approval (an <c>Always</c> policy).
/// </summary>
public sealed class DashboardServer : IAsyncLifetime
{
    public const string GatedAgent = "gated";

    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private ServerProcess? _server;
    private string? _unavailable;

    /// <summary>The server; its <see cref="ServerProcess.BaseAddress"/> is the dashboard's address.</summary>
    public ServerProcess Server => _server ?? throw new InvalidOperationException("The server did not start.");

    /// <summary>
    /// Waits until the page's live updates come over the WebSocket, <c>GET /api/v1/ws</c> ("Live" in the header, not
    /// "Live (SSE + polling)", the fallback).
    /// </summary>
    public async Task ExpectLiveAsync(IPage page) =>
        await Assertions.Expect(page.GetByTestId("connection")).ToHaveTextAsync("Live");

    /// <summary>Where screenshots go: <c>APEX_BROWSER_ARTIFACTS</c>, else <c>TestResults/browser</c> beside the test assembly.</summary>
    public static string ArtifactsDirectory { get; } = Environment.GetEnvironmentVariable("APEX_BROWSER_ARTIFACTS") is { Length: > 0 } configured
        ? configured
        : Path.Combine(AppContext.BaseDirectory, "TestResults", "browser");

    public static string ChromiumPath => Environment.GetEnvironmentVariable("APEX_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public async ValueTask InitializeAsync()
    {
        _server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            // Slow enough that a DAG is seen running and output is seen streaming, fast enough for the tests.
            ["Apex:Simulated:LatencyMs"] = "150",
            ["Apex:Approvals:Policies:0:Agent"] = GatedAgent,
            ["Apex:Approvals:Policies:0:Always"] = "true",
            ["Apex:Approvals:Policies:0:Risk"] = "high",
            ["Apex:Cache:HealthTtl"] = "00:00:00",
        });
        using (var client = _server.CreateClient())
        {
            using var created = await client.PostAsJsonAsync("/api/v1/agents", new AgentRequest { Name = GatedAgent }, ApexJsonContext.Default.AgentRequest);
            created.EnsureSuccessStatusCode();
        }
        if (!File.Exists(ChromiumPath))
        {
            _unavailable = $"No Chromium at {ChromiumPath} (apt-get install -y chromium, or set APEX_CHROMIUM).";
            return;
        }
        // The box is shared (2 cores, other builds): waits are generous, they end as soon as the page is there.
        Assertions.SetDefaultExpectTimeout(20_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
        Directory.CreateDirectory(ArtifactsDirectory);
    }

    /// <summary>A fresh browser context and page on the dashboard; skips the test without Chromium (fails it under CI=true).</summary>
    public async Task<IPage> OpenAsync(string path = "/", int width = 1400, int height = 900)
    {
        if (_browser is null)
        {
            if (TestServices.IsCi)
            {
                Assert.Fail(_unavailable ?? "The browser did not start.");
            }
            Assert.Skip(_unavailable ?? "The browser did not start.");
        }
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Server.BaseAddress.ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync(path);
        return page;
    }

    /// <summary>Saves a full-page screenshot as <c>{name}.png</c> in <see cref="ArtifactsDirectory"/> and attaches it to the test result.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var path = Path.Combine(ArtifactsDirectory, name + ".png");
        var bytes = await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.Current.AddAttachment(name + ".png", bytes, "image/png");
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"screenshot: {path}"));
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        _playwright?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
