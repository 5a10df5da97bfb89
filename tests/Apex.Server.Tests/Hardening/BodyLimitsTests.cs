using Apex.Server.Tests.Live;
using Xunit;

namespace Apex.Server.Tests.Hardening;

/// <summary>
/// Issue 7's acceptance on request bodies, over every route that reads JSON, on real Kestrel (its body size limit is
/// what refuses an oversized body): malformed → 400, over the limit → 413 before the body is read in full, a
/// nesting-depth bomb → 400; never a 5xx, always problem+json.
/// </summary>
public sealed class BodyLimitsTests(KestrelServerFixture fixture) : IClassFixture<KestrelServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private LiveServer Server => fixture.Server;

    [Fact]
    public void JsonBodyRoutes_AreFoundOnTheApp()
    {
        var routes = ApiRoutes.JsonBody(Server.Services).Select(r => $"{r.Method} {r.Endpoint.RoutePattern.RawText}").ToList();

        Assert.Contains("POST /api/v1/tasks/", routes);
        Assert.Contains("POST /api/v1/tasks/batch", routes);
        Assert.Contains("POST /api/v1/dags/", routes);
        Assert.Contains("PUT /api/v1/agents/{id:guid}", routes);
        Assert.Contains("POST /api/v1/admin/keys/", routes);
        Assert.True(routes.Count >= 7, string.Join(", ", routes));
    }

    [Theory]
    [InlineData(BadBody.MalformedMegabyteUnterminated, 400, "malformed_json")]
    [InlineData(BadBody.MalformedMegabyteTrailing, 400, "malformed_json")]
    [InlineData(BadBody.DepthBombRoot, 400, "malformed_json")]
    [InlineData(BadBody.DepthBombField, 400, "malformed_json")]
    [InlineData(BadBody.OverLimitDeclared, 413, "payload_too_large")]
    [InlineData(BadBody.OverLimitChunked, 413, "payload_too_large")]
    public async Task BadBody_OnEveryJsonRoute_IsA4xxProblem(BadBody body, int status, string code)
    {
        var wrong = new List<string>();
        foreach (var (method, endpoint) in ApiRoutes.JsonBody(Server.Services))
        {
            var outcome = await BadBodies.SendAsync(Server.Http, method, ApiRoutes.Url(endpoint), body, Ct);
            if (outcome.Status != status || outcome.ContentType != "application/problem+json" || !outcome.Text.Contains($"\"code\":\"{code}\"", StringComparison.Ordinal))
            {
                wrong.Add(outcome.ToString());
            }
            if (body == BadBody.OverLimitDeclared && outcome.BytesSent > 128 * 1024)
            {
                wrong.Add($"{outcome}: answered only after {outcome.BytesSent:N0} bytes");
            }
            if (body == BadBody.OverLimitChunked && outcome.BytesSent > 3 * BadBodies.Megabyte)
            {
                // The limit is 1 MiB: the answer comes once the server has counted that much, not after 10 MB.
                wrong.Add($"{outcome}: answered only after {outcome.BytesSent:N0} of {BadBodies.Intended:N0} bytes");
            }
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public async Task Server_StillServes_AfterBadBodies()
    {
        foreach (var body in Enum.GetValues<BadBody>())
        {
            await BadBodies.SendAsync(Server.Http, "POST", "/api/v1/tasks", body, Ct);
        }

        using var response = await Server.Client.PostAsync("/api/v1/tasks",
            new StringContent("{\"instruction\": \"still here\"}", System.Text.Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
    }
}
