using System.Net;
using Xunit;

namespace Apex.Browser.Tests;

/// <summary>How the server serves the built dashboard next to the API (no browser needed).</summary>
public sealed class DashboardServingTests(DashboardServer fixture)
{
    [Theory]
    [InlineData("/")]
    [InlineData("/dags/00000000-0000-0000-0000-000000000001")]
    [InlineData("/approvals")]
    public async Task Get_PagePath_ServesTheDashboardsIndex(string path)
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = fixture.Server.CreateClient();

        using var response = await client.GetAsync(path, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<div id=\"root\"></div>", await response.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
    }

    [Theory]
    [InlineData("/api/v1/nothing-here")]
    [InlineData("/health/nothing-here")]
    [InlineData("/metrics/nothing-here")]
    [InlineData("/assets/missing.js")]
    public async Task Get_UnknownApiPathOrAsset_Is404ProblemNotThePage(string path)
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = fixture.Server.CreateClient();

        using var response = await client.GetAsync(path, ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Get_AssetNamedInTheIndex_IsServedImmutable()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = fixture.Server.CreateClient();
        var index = await client.GetStringAsync("/", ct);
        var script = System.Text.RegularExpressions.Regex.Match(index, "src=\"(/assets/[^\"]+\\.js)\"").Groups[1].Value;
        Assert.NotEmpty(script);

        using var response = await client.GetAsync(script, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("immutable", response.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_ApiNextToTheDashboard_StillAnswersJson()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = fixture.Server.CreateClient();

        foreach (var path in new[] { "/health", "/api/v1/stats", "/api/v1/dags", "/openapi/v1.json" })
        {
            using var response = await client.GetAsync(path, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Post_WithoutABodyToAnApiEndpoint_ReachesTheApiNotTheFallback()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = fixture.Server.CreateClient();

        using var response = await client.PostAsync($"/api/v1/approvals/{Guid.NewGuid()}/approve", null, ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("\"code\":\"approval_not_found\"", await response.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }
}
