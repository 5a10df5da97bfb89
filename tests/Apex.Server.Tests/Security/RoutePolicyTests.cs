using System.Net;
using Apex.Core.Security;
using Apex.Server.Tests.Hardening;
using Apex.Testing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Apex.Server.Tests.Security;

/// <summary>
/// Default deny, checked on the app's own endpoint list: an endpoint must name a policy or be explicitly anonymous, so a
/// new route (such as /metrics) fails this test until it chooses one.
/// </summary>
public sealed class RoutePolicyTests : IAsyncLifetime
{
    /// <summary>The only endpoints a caller may use without a credential: probes, the API's description, the dashboard's page.</summary>
    private static readonly string[] Anonymous = ["/health/live", "/health/ready", "/metrics", "/openapi/{documentName}.json", "/", "{*path:nonfile}"];

    private static readonly string[] Mutating = [HttpMethods.Post, HttpMethods.Put, HttpMethods.Delete, HttpMethods.Patch];

    private readonly AuthFixture _auth = AuthFixture.Create();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _auth.DisposeAsync();

    private IReadOnlyList<RouteEndpoint> Endpoints() => ApiRoutes.All(_auth.Factory.Services);

    [Fact]
    public void EveryEndpoint_HasAPolicyOrIsExplicitlyAnonymous()
    {
        var endpoints = Endpoints();
        Assert.True(endpoints.Count > 30, $"only {endpoints.Count} endpoints: the data source is not the app's");
        var unguarded = endpoints
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null
                && !e.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => !string.IsNullOrEmpty(a.Policy)))
            .Select(e => e.RoutePattern.RawText)
            .ToList();
        Assert.Empty(unguarded);
        var anonymous = endpoints.Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null).Select(e => e.RoutePattern.RawText ?? "");
        Assert.DoesNotContain(anonymous, a => !Anonymous.Contains(a) && !a.StartsWith("/docs", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Viewer_OnEveryMutatingRoute_Gets403()
    {
        var viewer = (await _auth.CreateKeyAsync(Ct, ApexRoles.Viewer)).Key;
        using var client = _auth.Client(viewer);
        var routes = Endpoints()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Intersect(Mutating).Select(m => (Method: m, Endpoint: e)))
            .ToList();
        Assert.Contains(routes, r => r.Endpoint.RoutePattern.RawText == "/api/v1/admin/keys/{id:guid}/revoke");
        var wrong = new List<string>();
        foreach (var (method, endpoint) in routes)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), Url(endpoint));
            using var response = await client.SendAsync(request, Ct);
            var problem = response.StatusCode == HttpStatusCode.Forbidden ? await Problem.ReadAsync(response, Ct) : null;
            if (problem?.Code != "forbidden" || problem.ContentType != "application/problem+json")
            {
                wrong.Add($"{method} {endpoint.RoutePattern.RawText}: {(int)response.StatusCode}");
            }
        }
        Assert.True(routes.Count >= 12, $"only {routes.Count} mutating routes found");
        Assert.Empty(wrong);
    }

    /// <summary>The documented role table (docs/security.md), written out here so a policy that admits too much fails.</summary>
    private static readonly Dictionary<string, string[]> Admits = new()
    {
        ["apex:read"] = [ApexRoles.Viewer, ApexRoles.Operator, ApexRoles.Approver, ApexRoles.Admin],
        ["apex:operate"] = [ApexRoles.Operator, ApexRoles.Admin],
        ["apex:approve"] = [ApexRoles.Approver, ApexRoles.Admin],
        ["apex:admin"] = [ApexRoles.Admin],
    };

    [Theory]
    [InlineData(ApexRoles.Viewer, false)]
    [InlineData(ApexRoles.Viewer, true)]
    [InlineData(ApexRoles.Approver, false)]
    [InlineData(ApexRoles.Operator, false)]
    [InlineData(ApexRoles.Operator, true)]
    [InlineData(ApexRoles.Worker, false)]
    public async Task Role_OnEveryRouteItsRoleIsNotAdmittedTo_Gets403(string role, bool token)
    {
        var credential = token ? _auth.Token(roles: role) : (await _auth.CreateKeyAsync(Ct, role)).Key;
        using var client = _auth.Client(credential);
        var routes = Endpoints()
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null)
            .Select(e => (Endpoint: e, Policy: e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).LastOrDefault(p => p is not null) ?? "apex:admin"))
            .Where(r => !Admits[r.Policy].Contains(role))
            .SelectMany(r => (r.Endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (Method: m, r.Endpoint, r.Policy)))
            .ToList();
        var wrong = new List<string>();
        foreach (var (method, endpoint, policy) in routes)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), Url(endpoint));
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
            var problem = response.StatusCode == HttpStatusCode.Forbidden ? await Problem.ReadAsync(response, Ct) : null;
            if (problem?.Code != "forbidden" || problem.ContentType != "application/problem+json")
            {
                wrong.Add($"{method} {endpoint.RoutePattern.RawText} ({policy}): {(int)response.StatusCode}");
            }
        }
        Assert.Contains(routes, r => r.Policy == (role == ApexRoles.Operator ? "apex:admin" : "apex:operate"));
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public async Task Viewer_OnEveryReadRoute_IsNotRefused_ExceptKeys()
    {
        var viewer = (await _auth.CreateKeyAsync(Ct, ApexRoles.Viewer)).Key;
        using var client = _auth.Client(viewer);
        var reads = Endpoints().Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Contains(HttpMethods.Get) == true
            && e.Metadata.GetMetadata<IAllowAnonymous>() is null).ToList();
        foreach (var endpoint in reads)
        {
            using var response = await client.GetAsync(Url(endpoint), HttpCompletionOption.ResponseHeadersRead, Ct);
            var expected = endpoint.RoutePattern.RawText!.StartsWith("/api/v1/admin", StringComparison.Ordinal);
            Assert.True(expected == (response.StatusCode == HttpStatusCode.Forbidden) && response.StatusCode != HttpStatusCode.Unauthorized,
                $"GET {endpoint.RoutePattern.RawText}: {(int)response.StatusCode}");
        }
    }

    [Theory]
    [InlineData(ApexRoles.Operator, "/api/v1/tasks/{0}/cancel", HttpStatusCode.NotFound)]
    [InlineData(ApexRoles.Approver, "/api/v1/tasks/{0}/cancel", HttpStatusCode.Forbidden)]
    [InlineData(ApexRoles.Approver, "/api/v1/approvals/{0}/approve", HttpStatusCode.NotFound)]
    [InlineData(ApexRoles.Operator, "/api/v1/approvals/{0}/approve", HttpStatusCode.Forbidden)]
    [InlineData(ApexRoles.Operator, "/api/v1/admin/keys/{0}/revoke", HttpStatusCode.Forbidden)]
    [InlineData(ApexRoles.Admin, "/api/v1/admin/keys/{0}/revoke", HttpStatusCode.NotFound)]
    [InlineData(ApexRoles.Worker, "/api/v1/tasks/{0}/cancel", HttpStatusCode.Forbidden)]
    public async Task Roles_ReachOnlyTheirRoutes(string role, string route, HttpStatusCode expected)
    {
        var key = (await _auth.CreateKeyAsync(Ct, role)).Key;
        using var client = _auth.Client(key);
        using var response = await client.PostAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, route, Guid.NewGuid()), null, Ct);
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Worker_ReadsNothing()
    {
        var key = (await _auth.CreateKeyAsync(Ct, ApexRoles.Worker)).Key;
        using var response = await _auth.Client(key).GetAsync("/api/v1/tasks", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    private static string Url(RouteEndpoint endpoint) => ApiRoutes.Url(endpoint);
}
