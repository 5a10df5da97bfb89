using System.Net;
using System.Net.WebSockets;
using Apex.Server.Tests.Security;
using Apex.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Apex.Server.Tests.Hardening;

/// <summary>CORS is off unless <c>Apex:Cors:AllowedOrigins</c> is set; then exactly those origins are admitted, on the API and the WebSocket.</summary>
public sealed class CorsTests
{
    private const string Allowed = "https://ops.example.com";
    private const string DevDashboard = "http://localhost:5173";

    private static readonly Dictionary<string, string?> AllowList = new()
    {
        ["Apex:Cors:AllowedOrigins:0"] = Allowed,
        ["Apex:Cors:AllowedOrigins:1"] = DevDashboard + "/",
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WithoutAnAllowList_NoCorsHeaders_OnPreflightOrRequest()
    {
        await using var factory = new ApexAppFactory();
        using var client = factory.CreateClient();

        using var preflight = await client.SendAsync(Preflight(Allowed, "POST"), Ct);
        using var request = await client.SendAsync(Get(Allowed), Ct);

        Assert.Empty(CorsHeaders(preflight));
        Assert.Equal(HttpStatusCode.OK, request.StatusCode);
        Assert.Empty(CorsHeaders(request));
    }

    [Theory]
    [InlineData(Allowed)]
    [InlineData(DevDashboard)]
    public async Task WithAnAllowList_AListedOrigin_IsAdmitted(string origin)
    {
        await using var factory = new ApexAppFactory(AllowList);
        using var client = factory.CreateClient();

        using var preflight = await client.SendAsync(Preflight(origin, "POST", "authorization,content-type,idempotency-key"), Ct);
        using var request = await client.SendAsync(Get(origin), Ct);

        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal(origin, Header(preflight, "Access-Control-Allow-Origin"));
        Assert.Contains("POST", Header(preflight, "Access-Control-Allow-Methods"), StringComparison.Ordinal);
        var headers = Header(preflight, "Access-Control-Allow-Headers")!.ToLowerInvariant();
        Assert.Contains("authorization", headers, StringComparison.Ordinal);
        Assert.Contains("idempotency-key", headers, StringComparison.Ordinal);
        Assert.Equal("600", Header(preflight, "Access-Control-Max-Age"));
        Assert.Null(Header(preflight, "Access-Control-Allow-Credentials"));
        Assert.Equal(origin, Header(request, "Access-Control-Allow-Origin"));
        Assert.Contains("Retry-After", Header(request, "Access-Control-Expose-Headers"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://evil.example.com")]
    [InlineData("http://ops.example.com")]
    [InlineData("https://ops.example.com.evil.example")]
    [InlineData("https://ops.example.com:8443")]
    [InlineData("null")]
    public async Task WithAnAllowList_AnotherOrigin_IsNot(string origin)
    {
        await using var factory = new ApexAppFactory(AllowList);
        using var client = factory.CreateClient();

        using var preflight = await client.SendAsync(Preflight(origin, "POST"), Ct);
        using var request = await client.SendAsync(Get(origin), Ct);

        Assert.Empty(CorsHeaders(preflight));
        Assert.Empty(CorsHeaders(request));
    }

    [Fact]
    public async Task WithAnAllowList_AMethodTheApiDoesNotUse_IsNotAdmitted()
    {
        await using var factory = new ApexAppFactory(AllowList);
        using var client = factory.CreateClient();

        using var preflight = await client.SendAsync(Preflight(Allowed, "PATCH"), Ct);

        Assert.DoesNotContain("PATCH", Header(preflight, "Access-Control-Allow-Methods") ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithCredentialsRequired_PreflightNeedsNone_AndA401IsReadableByTheAllowedPage()
    {
        await using var auth = AuthFixture.Create(AllowList);
        using var client = auth.Client();

        using var preflight = await client.SendAsync(Preflight(Allowed, "POST", "authorization,content-type"), Ct);
        using var refused = await client.SendAsync(Get(Allowed), Ct);

        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal(Allowed, Header(preflight, "Access-Control-Allow-Origin"));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(Allowed, Header(refused, "Access-Control-Allow-Origin"));
        Assert.Contains("WWW-Authenticate", Header(refused, "Access-Control-Expose-Headers"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, Allowed, true)]
    [InlineData(true, "https://evil.example.com", false)]
    [InlineData(false, Allowed, false)]
    public async Task WebSocket_OriginCheck_AdmitsTheSameAllowList(bool allowList, string origin, bool opens)
    {
        await using var factory = new ApexAppFactory(allowList ? AllowList : null);
        factory.StartServer();
        var ws = factory.Server.CreateWebSocketClient();
        ws.ConfigureRequest = r => r.Headers.Origin = origin;

        WebSocket? socket = null;
        try
        {
            socket = await ws.ConnectAsync(new Uri(factory.Server.BaseAddress, "/api/v1/ws"), Ct);
        }
        catch (InvalidOperationException)
        {
            // The test server's refusal of the upgrade (403 origin_not_allowed).
        }

        Assert.Equal(opens, socket?.State == WebSocketState.Open);
        socket?.Abort();
        Assert.Equal(allowList, factory.Services.GetRequiredService<IOptions<Apex.Server.Live.LiveOptions>>().Value.AllowedOrigins.Contains(DevDashboard));
    }

    [Theory]
    [InlineData("https://ops.example.com/path")]
    [InlineData("ops.example.com")]
    [InlineData("ftp://ops.example.com")]
    public async Task AnAllowListEntryThatIsNotAnOrigin_StopsTheServer(string entry)
    {
        await using var factory = new ApexAppFactory(new Dictionary<string, string?> { ["Apex:Cors:AllowedOrigins:0"] = entry });

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains("Apex:Cors:AllowedOrigins", error.ToString(), StringComparison.Ordinal);
    }

    private static HttpRequestMessage Preflight(string origin, string method, string? headers = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/api/v1/tasks");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        if (headers is not null)
        {
            request.Headers.Add("Access-Control-Request-Headers", headers);
        }
        return request;
    }

    private static HttpRequestMessage Get(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/tasks");
        request.Headers.Add("Origin", origin);
        return request;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;

    private static List<string> CorsHeaders(HttpResponseMessage response) =>
        [.. response.Headers.Select(h => h.Key).Where(k => k.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase))];
}
