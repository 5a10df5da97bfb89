using System.Net;
using System.Text;
using Apex.Contracts;
using Apex.Testing;
using Xunit;

namespace Apex.Server.Tests.Hosting;

/// <summary>Kestrel's request limits, which the in-memory test server does not enforce: these run the app on real Kestrel, embedded.</summary>
public sealed class RequestLimitsTests
{
    [Fact]
    public async Task CreateTask_BodyOverOneMebibyte_Returns413PayloadTooLarge()
    {
        var ct = TestContext.Current.CancellationToken;
        // The limit is Kestrel's (the in-memory test server enforces none), so this test runs the app on real Kestrel.
        await using var factory = new ApexAppFactory();
        factory.UseKestrel(0);
        factory.StartServer();
        using var client = factory.CreateClient();
        var body = $"{{\"instruction\": \"{new string('x', 1024 * 1024)}\"}}";

        using var response = await client.PostAsync("/api/v1/tasks", new StringContent(body, Encoding.UTF8, "application/json"), ct);

        var problem = await Problem.ReadAsync(response, ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, problem.Status);
        Assert.Equal("application/problem+json", problem.ContentType);
        Assert.True(problem.Code == "payload_too_large", $"Expected code payload_too_large: {problem}");
        using var list = await client.GetAsync("/api/v1/tasks", ct);
        Assert.Empty((await list.ReadAsync(ApexJsonContext.Default.PageTaskResponse, ct)).Items);
    }
}
