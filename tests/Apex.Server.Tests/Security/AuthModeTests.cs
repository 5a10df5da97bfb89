using System.Net;
using System.Net.Http.Json;
using Apex.Contracts;
using Apex.Contracts.Keys;
using Apex.Core.Security;
using Apex.Server.Security;
using Apex.Testing;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Apex.Server.Tests.Security;

/// <summary>The mode rule of docs/security.md: open on loopback with nothing to authenticate, else required or refused.</summary>
public sealed class AuthModeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Auto_OnLoopbackWithNoKey_RunsOpen_AndSaysSo()
    {
        await using var factory = new ApexAppFactory();
        using var client = factory.CreateClient();
        using var health = await client.GetFromJsonAsync<System.Text.Json.JsonDocument>("/health", Ct);
        Assert.Equal("open", health!.RootElement.GetProperty("auth").GetString());
        using var keys = await client.GetAsync("/api/v1/admin/keys", Ct);
        Assert.Equal(HttpStatusCode.OK, keys.StatusCode);
    }

    [Fact]
    public async Task Auto_Open_FirstKeyCreated_RequiresCredentialsAtOnce()
    {
        await using var factory = new ApexAppFactory();
        using var client = factory.CreateClient();
        using var created = await client.PostAsJsonAsync("/api/v1/admin/keys", new CreateApiKeyRequest { Name = "me", Roles = ["admin"] },
            ApexJsonContext.Default.CreateApiKeyRequest, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = (await created.Content.ReadFromJsonAsync(ApexJsonContext.Default.CreatedApiKeyResponse, Ct))!.Key;

        using var anonymous = await client.GetAsync("/api/v1/tasks", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/tasks") { Headers = { { "Authorization", $"Bearer {key}" } } };
        using var authenticated = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, authenticated.StatusCode);
        using var live = await client.GetAsync("/health/live", Ct);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Auto_KeysInStore_RequiredAfterRestart()
    {
        var data = Path.Combine(Path.GetTempPath(), "apex-tests", Guid.NewGuid().ToString("N"), "apex.db");
        var settings = new Dictionary<string, string?> { ["Apex:Sqlite:Path"] = data };
        await using (var first = new ApexAppFactory(settings))
        {
            using var created = await first.CreateClient().PostAsJsonAsync("/api/v1/admin/keys",
                new CreateApiKeyRequest { Name = "me", Roles = ["viewer"] }, ApexJsonContext.Default.CreateApiKeyRequest, Ct);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        try
        {
            await using var second = new ApexAppFactory(settings);
            using var anonymous = await second.CreateClient().GetAsync("/health", Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(data)!, recursive: true);
        }
    }

    [Fact]
    public async Task Auto_OnANonLoopbackAddressWithNoCredential_RefusesToStart()
    {
        await using var factory = new ApexAppFactory();
        factory.UseKestrel(o => o.ListenAnyIP(0));
        var error = Assert.Throws<InvalidOperationException>(factory.StartServer);
        Assert.Contains("refuses to start without authentication on a non-loopback address", error.Message, StringComparison.Ordinal);
        Assert.Contains("Apex:Auth:BootstrapAdminKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Auto_OnANonLoopbackAddressWithABootstrapKey_Starts()
    {
        await using var factory = new ApexAppFactory(new Dictionary<string, string?> { ["Apex:Auth:BootstrapAdminKey"] = ApiKeyFormat.Generate() });
        factory.UseKestrel(o => o.ListenAnyIP(0));
        factory.StartServer();
        var bound = new Uri(factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{bound.Port}/") };
        using var anonymous = await client.GetAsync("/api/v1/tasks", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Required_WithNothingToAuthenticate_RefusesToStart()
    {
        await using var factory = new ApexAppFactory(new Dictionary<string, string?> { ["Apex:Auth:Mode"] = "Required" });
        var error = Assert.ThrowsAny<InvalidOperationException>(() => factory.CreateClient());
        Assert.Contains("no credential can ever be accepted", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MalformedBootstrapKey_RefusesToStart()
    {
        await using var factory = new ApexAppFactory(new Dictionary<string, string?> { ["Apex:Auth:BootstrapAdminKey"] = "hunter2" });
        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.Contains("apex keys generate", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000", true)]
    [InlineData("http://localhost:5000", true)]
    [InlineData("http://[::1]:5000", true)]
    [InlineData("http://unix:/tmp/apex.sock", true)]
    [InlineData("http://0.0.0.0:8080", false)]
    [InlineData("http://[::]:8080", false)]
    [InlineData("http://+:8080", false)]
    [InlineData("http://*:8080", false)]
    [InlineData("http://10.1.2.3:8080", false)]
    [InlineData("https://apex.example.com:443", false)]
    public void IsLocal_TellsLoopbackFromNetwork(string address, bool local) => Assert.Equal(local, AuthStartup.IsLocal(address));
}
