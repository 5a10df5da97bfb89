using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Security.Cryptography;
using Apex.Contracts;
using Apex.Contracts.Tasks;
using Apex.Core;
using Apex.Core.Security;
using Apex.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using Xunit;

namespace Apex.Server.Tests.Security;

/// <summary>
/// Issue 7's acceptance: every bad credential is a 401 problem+json that does not echo it: on a read and a write, on the
/// WebSocket upgrade and the event streams, in each place these take a credential from.
/// </summary>
public sealed class BadCredentialTests : IAsyncLifetime
{
    private readonly AuthFixture _auth = AuthFixture.Create();
    private string _operatorKey = "";
    private string _revokedKey = "";
    private string _expiredKey = "";
    private string _suspendedKey = "";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        // A real socket: the WebSocket upgrade is refused (or not) by the same server code a browser meets.
        _auth.Factory.UseKestrel(0);
        _operatorKey = (await _auth.CreateKeyAsync(Ct, ApexRoles.Operator)).Key;
        var revoked = await _auth.CreateKeyAsync(Ct, ApexRoles.Admin);
        using (var admin = _auth.Client(_auth.BootstrapKey))
        {
            (await admin.PostAsync($"/api/v1/admin/keys/{revoked.ApiKey.Id}/revoke", null, Ct)).EnsureSuccessStatusCode();
        }
        _revokedKey = revoked.Key;
        // The API refuses an expiry in the past; the store does not: a key that expired an hour ago.
        // A good key of a tenant the platform admin then suspended (its tokens are refused too: the case list has one).
        using (var admin = _auth.Client(_auth.BootstrapKey))
        {
            using var created = await admin.PostAsJsonAsync("/api/v1/admin/keys",
                new Apex.Contracts.Keys.CreateApiKeyRequest { Name = "frozen", Roles = [ApexRoles.Admin], Tenant = "frozen" }, ApexJsonContext.Default.CreateApiKeyRequest, Ct);
            _suspendedKey = (await created.ReadAsync(ApexJsonContext.Default.CreatedApiKeyResponse, Ct)).Key;
            (await admin.PostAsync("/api/v1/admin/tenants/frozen/suspend", null, Ct)).EnsureSuccessStatusCode();
        }
        _expiredKey = ApiKeyFormat.Generate();
        _ = ApiKeyFormat.TryParse(_expiredKey, out var prefix);
        var services = _auth.Factory.Services;
        await services.GetRequiredService<IApiKeyStore>().CreateApiKeyAsync(new ApiKeyRecord
        {
            Id = Guid.NewGuid(),
            TenantId = Tenancy.DefaultTenant,
            Prefix = prefix,
            Hash = services.GetRequiredService<Apex.Server.Security.ApiKeyHasher>().Hash(_expiredKey),
            Name = "expired",
            Roles = [ApexRoles.Admin],
            CreatedAt = DateTimeOffset.UtcNow.AddDays(-2),
            ExpiresAt = DateTimeOffset.UtcNow.AddHours(-1),
        }, Ct);
    }

    public ValueTask DisposeAsync() => _auth.DisposeAsync();

    private IReadOnlyList<(string Name, BadCredential Case)> Cases()
    {
        var bootstrap = _auth.BootstrapKey;
        var other = ApiKeyFormat.Generate();
        var now = DateTime.UtcNow;
        string Token(Action<SecurityTokenDescriptor>? change = null, string tenant = "default") => _auth.Token(change, tenant: tenant, roles: ApexRoles.Admin);
        BadCredential Bearer(string credential) => new(credential, r => r.Headers.TryAddWithoutValidation("Authorization", $"Bearer {credential}"));
        BadCredential Raw(string header) => new(null, r => r.Headers.TryAddWithoutValidation("Authorization", header), Echo: header.Split(' ').Last());
        var valid = Token();
        var parts = valid.Split('.');
        var payload = $$"""{"sub":"user-1","apex_tenant":"default","roles":["admin"],"iss":"{{AuthFixture.Issuer}}","aud":"{{AuthFixture.Audience}}","exp":{{new DateTimeOffset(now.AddMinutes(10)).ToUnixTimeSeconds()}}}""";
        using var rsa = RSA.Create(2048);
        var rsaToken = _auth.Token(d => d.SigningCredentials = new SigningCredentials(new RsaSecurityKey(rsa.ExportParameters(true)), SecurityAlgorithms.RsaSha256),
            roles: ApexRoles.Admin);
        return
        [
            ("missing", new BadCredential(null, _ => { })),
            ("empty bearer", Raw("Bearer")),
            ("blank bearer", Raw("Bearer    ")),
            ("basic scheme", Raw("Basic dXNlcjpwYXNz")),
            ("valid key under another scheme", Raw($"Token {bootstrap}")),
            ("scheme only", Bearer("apex_")),
            ("short key", Bearer("apex_short_secret")),
            ("uppercased key", Bearer(bootstrap.ToUpperInvariant())),
            ("key plus a character", Bearer(bootstrap + "a")),
            ("key less a character", Bearer(bootstrap[..^1])),
            ("separator changed", Bearer(bootstrap[..15] + "-" + bootstrap[16..])),
            ("character outside the alphabet", Bearer(bootstrap[..^1] + "1")),
            ("scheme misspelt", Bearer("apx_" + bootstrap[5..])),
            ("unknown prefix", Bearer(other)),
            ("bootstrap prefix, wrong secret", Bearer(bootstrap[..16] + other[16..])),
            ("stored prefix, wrong secret", Bearer(_operatorKey[..16] + other[16..])),
            ("stored prefix, another key's secret", Bearer(_operatorKey[..16] + _revokedKey[16..])),
            ("revoked key", Bearer(_revokedKey)),
            ("expired key", Bearer(_expiredKey)),
            ("key with trailing text", Bearer(bootstrap + " extra")),
            ("two credentials", new BadCredential(null, r => r.Headers.TryAddWithoutValidation("Authorization", [$"Bearer {bootstrap}", $"Bearer {_operatorKey}"]))),
            ("key in an unsupported header", new BadCredential(null, r => r.Headers.TryAddWithoutValidation("X-Api-Key", bootstrap))),
            // The WebSocket and the event streams do take a key from the URL (docs/security.md): a case of plain routes only.
            ("key in the URL of a plain route", new BadCredential(null, r => r.RequestUri = new Uri($"{r.RequestUri}?access_token={bootstrap}", UriKind.Relative), PlainRoutesOnly: true)),
            ("expired token", Bearer(Token(d => { d.NotBefore = now.AddHours(-2); d.IssuedAt = now.AddHours(-2); d.Expires = now.AddHours(-1); }))),
            ("token expired past the skew", Bearer(Token(d => { d.NotBefore = now.AddMinutes(-10); d.IssuedAt = now.AddMinutes(-10); d.Expires = now.AddMinutes(-2); }))),
            ("token not yet valid", Bearer(Token(d => { d.NotBefore = now.AddHours(1); d.Expires = now.AddHours(2); }))),
            ("token without exp", Bearer(Token(d => d.Expires = null))),
            ("token signed with another key", Bearer(_auth.Token(key: RandomNumberGenerator.GetBytes(32), roles: ApexRoles.Admin))),
            ("token signed with an untrusted RSA key", Bearer(rsaToken)),
            ("alg=none", Bearer(AuthFixture.UnsignedToken(payload))),
            ("HS256 header, signature stripped", Bearer($"{parts[0]}.{parts[1]}.")),
            ("payload changed after signing", Bearer($"{parts[0]}.{AuthFixture.Base64Url(payload.Replace("user-1", "root", StringComparison.Ordinal))}.{parts[2]}")),
            ("wrong issuer", Bearer(Token(d => d.Issuer = "https://evil.test"))),
            ("no issuer", Bearer(Token(d => d.Issuer = null))),
            ("wrong audience", Bearer(Token(d => d.Audience = "another-api"))),
            ("no audience", Bearer(Token(d => d.Audience = null))),
            ("token without tenant", Bearer(_auth.Token(d => d.Subject = new ClaimsIdentity([new Claim("sub", "u"), new Claim("roles", ApexRoles.Admin)])))),
            ("token with a malformed tenant", Bearer(Token(tenant: "Not A Tenant!"))),
            ("token with an empty tenant", Bearer(Token(tenant: ""))),
            ("token with two tenants", Bearer(Token(d => d.Subject.AddClaim(new Claim("apex_tenant", "acme"))))),
            ("three dots of garbage", Bearer("a.b.c")),
            ("not a token", Bearer("not-a-token")),
            ("token with no role claim and a bad signature", Bearer(_auth.Token(key: RandomNumberGenerator.GetBytes(32)))),
            ("key in the Cookie header", new BadCredential(null, r => r.Headers.TryAddWithoutValidation("Cookie", $"access_token={bootstrap}"))),
            ("key of a suspended tenant", Bearer(_suspendedKey)),
            ("token of a suspended tenant", Bearer(Token(tenant: "frozen"))),
        ];
    }

    [Fact]
    public async Task BadCredentials_OnReadAndWrite_Are401ProblemJson()
    {
        var cases = Cases();
        Assert.True(cases.Count >= 40, $"{cases.Count} cases");
        using var client = _auth.Client();
        var failures = new List<string>();
        foreach (var (name, bad) in cases)
        {
            foreach (var write in new[] { false, true })
            {
                using var request = write
                    ? new HttpRequestMessage(HttpMethod.Post, "/api/v1/tasks")
                    {
                        Content = JsonContent.Create(new CreateTaskRequest { Instruction = "x" }, ApexJsonContext.Default.CreateTaskRequest),
                    }
                    : new HttpRequestMessage(HttpMethod.Get, "/api/v1/tasks");
                bad.Apply(request);
                await CheckAsync(client, request, $"{name} ({request.Method})", bad, failures);
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task BadCredentials_OnTheWebSocketUpgrade_Are401ProblemJson_InEveryPlace()
    {
        var cases = Cases().Where(c => !c.Case.PlainRoutesOnly).ToList();
        using var client = _auth.Client();
        var failures = new List<string>();
        foreach (var (name, bad) in cases)
        {
            await CheckAsync(client, Upgrade("/api/v1/ws", bad.Apply), $"{name} (header)", bad, failures);
            if (bad.Credential is { } credential)
            {
                await CheckAsync(client, Upgrade("/api/v1/ws", r => r.Headers.TryAddWithoutValidation("Sec-WebSocket-Protocol", $"apex, apex.bearer.{credential}")),
                    $"{name} (subprotocol)", bad, failures);
                await CheckAsync(client, Upgrade($"/api/v1/ws?access_token={Uri.EscapeDataString(credential)}", _ => { }), $"{name} (query)", bad, failures);
            }
        }
        Assert.True(cases.Count >= 40, $"{cases.Count} cases");
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // The control: the same request with a good credential in each place is upgraded.
        foreach (var good in new Action<HttpRequestMessage>[]
        {
            r => r.Headers.TryAddWithoutValidation("Authorization", $"Bearer {_auth.BootstrapKey}"),
            r => r.Headers.TryAddWithoutValidation("Sec-WebSocket-Protocol", $"apex, apex.bearer.{_auth.BootstrapKey}"),
            r => r.RequestUri = new Uri($"/api/v1/ws?access_token={_auth.BootstrapKey}", UriKind.Relative),
        })
        {
            using var response = await client.SendAsync(Upgrade("/api/v1/ws", good), HttpCompletionOption.ResponseHeadersRead, Ct);
            Assert.Equal(HttpStatusCode.SwitchingProtocols, response.StatusCode);
        }
    }

    [Fact]
    public async Task BadCredentials_OnTheEventStreams_Are401ProblemJson_InEveryPlace()
    {
        var cases = Cases().Where(c => !c.Case.PlainRoutesOnly).ToList();
        using var client = _auth.Client();
        var failures = new List<string>();
        foreach (var (name, bad) in cases)
        {
            foreach (var stream in new[] { $"/api/v1/tasks/{Guid.NewGuid()}/stream", $"/api/v1/dags/{Guid.NewGuid()}/stream" })
            {
                var request = new HttpRequestMessage(HttpMethod.Get, stream);
                bad.Apply(request);
                await CheckAsync(client, request, $"{name} ({stream}, header)", bad, failures);
                if (bad.Credential is { } credential)
                {
                    await CheckAsync(client, new HttpRequestMessage(HttpMethod.Get, $"{stream}?access_token={Uri.EscapeDataString(credential)}"),
                        $"{name} ({stream}, query)", bad, failures);
                }
            }
        }
        Assert.True(cases.Count >= 40, $"{cases.Count} cases");
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // The control: a good key in the URL reaches the stream (which does not know the task).
        using var good = await client.GetAsync($"/api/v1/tasks/{Guid.NewGuid()}/stream?access_token={_auth.BootstrapKey}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, good.StatusCode);
    }

    [Fact]
    public async Task GoodCredentials_Control_AreAccepted()
    {
        foreach (var credential in new[] { _auth.BootstrapKey, _operatorKey, _auth.Token(roles: ApexRoles.Viewer) })
        {
            using var client = _auth.Client(credential);
            using var response = await client.GetAsync("/api/v1/tasks", Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task MissingAndInvalid_AreTold_Apart()
    {
        using var client = _auth.Client();
        using var missing = await client.GetAsync("/api/v1/tasks", Ct);
        Assert.Equal("unauthenticated", (await Problem.ReadAsync(missing, Ct)).Code);
        Assert.Equal("Bearer realm=\"apex\"", missing.Headers.WwwAuthenticate.ToString());
        using var invalid = await _auth.Client(_revokedKey).GetAsync("/api/v1/tasks", Ct);
        Assert.Equal("invalid_credentials", (await Problem.ReadAsync(invalid, Ct)).Code);
        Assert.Contains("error=\"invalid_token\"", invalid.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// Sends <paramref name="request"/>; anything but a 401 problem+json with the challenge, or an answer that echoes the
    /// credential, is a failure.
    /// </summary>
    private async Task CheckAsync(HttpClient client, HttpRequestMessage request, string name, BadCredential bad, List<string> failures)
    {
        using (request)
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
            var body = response.StatusCode == HttpStatusCode.SwitchingProtocols ? "(upgraded)" : await response.Content.ReadAsStringAsync(Ct);
            var problem = response.StatusCode == HttpStatusCode.Unauthorized ? await Problem.ReadAsync(response, Ct) : null;
            var echo = bad.Credential ?? bad.Echo;
            var answer = body + string.Join('\n', response.Headers.Select(h => $"{h.Key}: {string.Join(", ", h.Value)}"));
            if (problem is null || problem.ContentType != "application/problem+json"
                || problem.Code is not ("unauthenticated" or "invalid_credentials")
                || !response.Headers.WwwAuthenticate.ToString().StartsWith("Bearer realm=\"apex\"", StringComparison.Ordinal)
                || answer.Contains(_auth.BootstrapKey, StringComparison.Ordinal)
                || (echo is { Length: >= 12 } && answer.Contains(echo, StringComparison.Ordinal)))
            {
                failures.Add($"{name}: {(int)response.StatusCode} {body}");
            }
        }
    }

    /// <summary>A WebSocket opening handshake (RFC 6455) for <paramref name="url"/>.</summary>
    private static HttpRequestMessage Upgrade(string url, Action<HttpRequestMessage> apply)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new System.Net.Http.Headers.ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)));
        apply(request);
        return request;
    }

    /// <summary>
    /// One bad credential: how it is put on a request, the credential itself when it is a bearer value (then also tried
    /// in the WebSocket subprotocol and the URL), text that must not come back, and whether it is bad on plain routes only.
    /// </summary>
    private sealed record BadCredential(string? Credential, Action<HttpRequestMessage> Apply, string? Echo = null, bool PlainRoutesOnly = false);
}
