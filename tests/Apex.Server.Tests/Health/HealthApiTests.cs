using System.Net;
using System.Text.Json;
using Apex.Testing;
using Xunit;

namespace Apex.Server.Tests.Health;

public sealed class HealthApiTests(HealthApiTests.Server server) : IClassFixture<HealthApiTests.Server>
{
    private const int Workers = 7;

    [Theory]
    [InlineData("/health/live", "healthy")]
    [InlineData("/health/ready", "ready")]
    public async Task Probe_RunningServer_Returns200WithStatus(string path, string status)
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = server.CreateClient();

        using var response = await client.GetAsync(path, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        Assert.Equal(status, body.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Detailed_RunningServer_ReportsComponentsAsSnakeCaseJson()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = server.CreateClient();

        using var response = await client.GetAsync("/health", ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        var root = body.RootElement;
        Assert.Equal("healthy", root.GetProperty("status").GetString());
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("version").GetString()));
        Assert.True(root.GetProperty("uptime_seconds").GetInt64() >= 0);
        var components = root.GetProperty("components");
        var database = components.GetProperty("database");
        Assert.Equal("healthy", database.GetProperty("status").GetString());
        Assert.InRange(database.GetProperty("connections_active").GetInt32(), 0, database.GetProperty("connections_max").GetInt32());
        Assert.True(database.GetProperty("connections_max").GetInt32() > 0);
        var workers = components.GetProperty("workers");
        Assert.Equal(Workers, workers.GetProperty("max").GetInt32());
        Assert.InRange(workers.GetProperty("active").GetInt32(), 0, Workers);
        Assert.True(workers.GetProperty("queue_depth").GetInt64() >= 0);
    }

    [Fact]
    public async Task OpenApi_Document_IsJsonListingTheDagsPath()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = server.CreateClient();

        using var response = await client.GetAsync("/openapi/v1.json", ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        var paths = document.RootElement.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v1/dags", out _), "The OpenAPI document has no /api/v1/dags path.");
        Assert.True(paths.TryGetProperty("/api/v1/tasks/{id}", out _), "The OpenAPI document has no /api/v1/tasks/{id} path.");
    }

    /// <summary>One server for the class: health and the OpenAPI document only read.</summary>
    public sealed class Server() : IAsyncDisposable
    {
        private readonly ApexAppFactory _factory = new(new Dictionary<string, string?> { ["Apex:Engine:MaxConcurrency"] = Workers.ToString(System.Globalization.CultureInfo.InvariantCulture) });

        public HttpClient CreateClient() => _factory.CreateClient();

        public ValueTask DisposeAsync() => _factory.DisposeAsync();
    }
}
