using System.Net;
using Apex.Server.Tests.Security;
using Apex.Testing;
using Xunit;

namespace Apex.Server.Tests.Hardening;

/// <summary>Security headers: a Content-Security-Policy the dashboard works with on its page and files, a strict one on the API; no framing, no sniffing; errors never cached.</summary>
public sealed class SecurityHeadersTests : IAsyncLifetime
{
    private readonly string _dashboard = Path.Combine(Path.GetTempPath(), "apex-tests", "dashboard-" + Guid.NewGuid().ToString("N"));
    private ApexAppFactory _factory = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        // A dashboard build of its own: the test does not depend on whether npm built the real one.
        Directory.CreateDirectory(Path.Combine(_dashboard, "assets"));
        File.WriteAllText(Path.Combine(_dashboard, "index.html"), "<!doctype html><html><body><div id=\"root\"></div><script type=\"module\" src=\"/assets/app-1.js\"></script></body></html>");
        File.WriteAllText(Path.Combine(_dashboard, "assets", "app-1.js"), "console.log('apex');");
        _factory = new ApexAppFactory(new Dictionary<string, string?> { ["Apex:Dashboard:Path"] = _dashboard });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        Directory.Delete(_dashboard, recursive: true);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/dags/00000000-0000-0000-0000-000000000001")]
    [InlineData("/assets/app-1.js")]
    public async Task Dashboard_PageAndFiles_CarryAPolicyTheDashboardWorksWith(string path)
    {
        using var response = await _factory.CreateClient().GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var csp = Policy(response);
        Assert.Equal(["'self'"], csp["default-src"]);
        Assert.Equal(["'self'"], csp["script-src"]);
        Assert.Equal(["'self'"], csp["connect-src"]);
        Assert.Contains("'unsafe-inline'", csp["style-src"]);
        Assert.Equal(["'none'"], csp["frame-ancestors"]);
        Assert.Equal(["'none'"], csp["object-src"]);
        Assert.Equal(["'none'"], csp["base-uri"]);
        AssertCommon(response);
    }

    [Theory]
    [InlineData("/api/v1/tasks", HttpStatusCode.OK)]
    [InlineData("/health/live", HttpStatusCode.OK)]
    [InlineData("/api/v1/tasks/not-a-guid", HttpStatusCode.NotFound)]
    [InlineData("/api/v1/tasks?limit=0", HttpStatusCode.UnprocessableEntity)]
    public async Task Api_Answers_LoadNothing_AndErrorsAreNotStored(string path, HttpStatusCode status)
    {
        using var response = await _factory.CreateClient().GetAsync(path, Ct);

        Assert.Equal(status, response.StatusCode);
        var csp = Policy(response);
        Assert.Equal(["'none'"], csp["default-src"]);
        Assert.Equal(["'none'"], csp["frame-ancestors"]);
        Assert.Equal((int)status >= 400, response.Headers.CacheControl?.NoStore == true);
        AssertCommon(response);
    }

    [Fact]
    public async Task Docs_OnlyRestrictFraming()
    {
        using var response = await _factory.CreateClient().GetAsync("/docs", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["frame-ancestors"], Policy(response).Keys);
        AssertCommon(response);
    }

    [Fact]
    public async Task Refusals_AreNotStored()
    {
        await using var auth = AuthFixture.Create();
        using var response = await auth.Client().GetAsync("/api/v1/tasks", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore, response.Headers.CacheControl?.ToString());
        AssertCommon(response);
    }

    private static void AssertCommon(HttpResponseMessage response)
    {
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
    }

    private static Dictionary<string, string[]> Policy(HttpResponseMessage response) =>
        Header(response, "Content-Security-Policy")!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => d.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(d => d[0], d => d[1..]);

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(", ", values) : null;
}
