using System.Net;
using Apex.Agents.Tools;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;

namespace Apex.Agents.Tests.Tools;

public sealed class HttpFetcherTests : IAsyncLifetime
{
    private readonly CountingListener _internal = new();
    private LoopbackWebServer _web = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _web = await LoopbackWebServer.StartAsync(app =>
        {
            app.MapGet("/text", () => Results.Text("hello from the allowed endpoint", "text/plain"));
            app.MapGet("/big", () => Results.Text(new string('x', 5000), "text/plain"));
            app.MapGet("/binary", () => Results.Bytes([1, 2, 3], "application/octet-stream"));
            app.MapGet("/redirect", (string to) => Results.Redirect(to));
            app.MapGet("/loop", () => Results.Redirect("/loop"));
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync();
        _internal.Dispose();
    }

    [Fact]
    public async Task Fetch_AllowedPrivateEndpoint_ReturnsStatusTypeAndText()
    {
        using var fetcher = Fetcher(o => o.AllowedPrivateEndpoints = [_web.Endpoint]);

        var result = await fetcher.FetchAsync(_web.Url("/text").ToString(), Context(), Ct);

        Assert.Equal("HTTP 200 text/plain\n\nhello from the allowed endpoint", result);
    }

    [Theory]
    [InlineData("http://127.0.0.1:{0}/")]
    [InlineData("http://localhost:{0}/")]
    [InlineData("http://127.1:{0}/")]
    [InlineData("http://2130706433:{0}/")]
    [InlineData("http://0177.0.0.1:{0}/")]
    [InlineData("http://0x7f.0.0.1:{0}/")]
    [InlineData("http://[::1]:{0}/")]
    [InlineData("http://[::ffff:127.0.0.1]:{0}/")]
    [InlineData("http://[::127.0.0.1]:{0}/")]
    [InlineData("http://0.0.0.0:{0}/")]
    [InlineData("http://LOCALHOST.:{0}/")]
    [InlineData("http://api.localhost:{0}/")]
    public async Task Fetch_LoopbackInAnyNotation_IsBlockedAndNeverConnects(string template)
    {
        using var fetcher = Fetcher();
        var context = Context();

        var result = await fetcher.FetchAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, _internal.Port), context, Ct);

        Assert.StartsWith("error: blocked:", result, StringComparison.Ordinal);
        Assert.Equal(1, context.Tally.Blocked);
        Assert.Equal(0, _internal.Connections);
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/iam/security-credentials/")]
    [InlineData("http://metadata.google.internal/computeMetadata/v1/")]
    [InlineData("http://[fd00:ec2::254]/latest/meta-data/")]
    [InlineData("http://[::ffff:169.254.169.254]/")]
    [InlineData("http://10.0.0.1/")]
    [InlineData("http://172.16.5.4/")]
    [InlineData("http://192.168.1.1/")]
    [InlineData("http://100.64.0.1/")]
    [InlineData("http://[fe80::1]/")]
    [InlineData("http://224.0.0.1/")]
    [InlineData("http://255.255.255.255/")]
    [InlineData("file:///etc/passwd")]
    [InlineData("ftp://example.com/")]
    [InlineData("http://user:pass@example.com/")]
    public async Task Fetch_InternalOrNonHttpTarget_IsBlocked(string url)
    {
        using var fetcher = Fetcher();

        var result = await fetcher.FetchAsync(url, Context(), Ct);

        Assert.StartsWith("error: blocked:", result, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_HostNameResolvingToAnInternalAddress_IsBlockedAtConnectTime()
    {
        var host = Dns.GetHostName();
        var addresses = await Dns.GetHostAddressesAsync(host, Ct);
        Assert.SkipUnless(addresses.Length > 0 && addresses.All(AddressPolicy.IsBlocked), $"{host} resolves to a public address here.");
        using var fetcher = Fetcher();

        var result = await fetcher.FetchAsync($"http://{host}:{_internal.Port}/", Context(), Ct);

        Assert.Equal("error: blocked: the host resolves to an internal address", result);
        Assert.Equal(0, _internal.Connections);
    }

    [Fact]
    public async Task Fetch_RedirectFromAllowedEndpointToAnotherLoopbackPort_IsBlocked()
    {
        using var fetcher = Fetcher(o => o.AllowedPrivateEndpoints = [_web.Endpoint]);
        var context = Context();

        var result = await fetcher.FetchAsync(_web.Url($"/redirect?to=http://127.0.0.1:{_internal.Port}/admin").ToString(), context, Ct);

        Assert.StartsWith("error: blocked:", result, StringComparison.Ordinal);
        Assert.Equal(1, context.Tally.Blocked);
        Assert.Equal(0, _internal.Connections);
    }

    [Fact]
    public async Task Fetch_RedirectToMetadataAddress_IsBlocked()
    {
        using var fetcher = Fetcher(o => o.AllowedPrivateEndpoints = [_web.Endpoint]);

        var result = await fetcher.FetchAsync(_web.Url("/redirect?to=http://169.254.169.254/latest/meta-data/").ToString(), Context(), Ct);

        Assert.Equal("error: blocked: the address is internal", result);
    }

    [Fact]
    public async Task Fetch_RelativeRedirectOnTheSameEndpoint_IsFollowed()
    {
        using var fetcher = Fetcher(o => o.AllowedPrivateEndpoints = [_web.Endpoint]);

        var result = await fetcher.FetchAsync(_web.Url("/redirect?to=/text").ToString(), Context(), Ct);

        Assert.EndsWith("hello from the allowed endpoint", result, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_MoreRedirectsThanAllowed_Stops()
    {
        using var fetcher = Fetcher(o => o.AllowedPrivateEndpoints = [_web.Endpoint]);

        var result = await fetcher.FetchAsync(_web.Url("/loop").ToString(), Context(), Ct);

        Assert.Equal("error: more than 3 redirects", result);
    }

    [Fact]
    public async Task Fetch_HostNotInAllowList_IsBlockedBeforeAnyLookup()
    {
        using var fetcher = Fetcher(o => o.AllowedHosts = ["example.com", "*.example.org"]);

        var other = await fetcher.FetchAsync("https://evil.test/", Context(), Ct);
        var lookalike = await fetcher.FetchAsync("https://example.com.evil.test/", Context(), Ct);

        Assert.Equal("error: blocked: the host is not in Apex:Tools:HttpFetch:AllowedHosts", other);
        Assert.Equal(other, lookalike);
    }

    [Fact]
    public async Task Fetch_BodyLargerThanTheLimit_IsTruncated()
    {
        using var fetcher = Fetcher(o =>
        {
            o.AllowedPrivateEndpoints = [_web.Endpoint];
            o.MaxResponseBytes = 1024;
        });

        var result = await fetcher.FetchAsync(_web.Url("/big").ToString(), Context(), Ct);

        Assert.StartsWith("HTTP 200 text/plain (truncated to 1024 bytes)\n\n", result, StringComparison.Ordinal);
        Assert.EndsWith(new string('x', 1024), result, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('x', 1025), result, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_BinaryContent_IsRefused()
    {
        using var fetcher = Fetcher(o => o.AllowedPrivateEndpoints = [_web.Endpoint]);

        var result = await fetcher.FetchAsync(_web.Url("/binary").ToString(), Context(), Ct);

        Assert.Equal("error: HTTP 200 with content type application/octet-stream, which is not text", result);
    }

    [Fact]
    public async Task Fetch_NotAUrl_ReturnsAnError()
    {
        using var fetcher = Fetcher();

        Assert.Equal("error: not an absolute URL", await fetcher.FetchAsync("see the attached page", Context(), Ct));
    }

    internal static ToolContext Context() => new("t1", Guid.NewGuid(), null);

    internal static HttpFetcher Fetcher(Action<HttpFetchOptions>? configure = null)
    {
        var options = new HttpFetchOptions { TimeoutSeconds = 10 };
        configure?.Invoke(options);
        return new HttpFetcher(Options.Create(options), NullLogger<HttpFetcher>.Instance);
    }
}
