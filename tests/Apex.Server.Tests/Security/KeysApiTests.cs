using System.Net;
using System.Net.Http.Json;
using Apex.Contracts;
using Apex.Contracts.Keys;
using Apex.Core.Security;
using Apex.Server.Security;
using Apex.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Apex.Server.Tests.Security;

public sealed class KeysApiTests : IAsyncLifetime
{
    private readonly AuthFixture _auth = AuthFixture.Create();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _auth.DisposeAsync();

    [Fact]
    public async Task Create_ShowsTheKeyOnce_ListNeverShowsSecrets()
    {
        var created = await _auth.CreateKeyAsync(Ct, ApexRoles.Operator, ApexRoles.Approver);
        Assert.True(ApiKeyFormat.TryParse(created.Key, out var prefix));
        Assert.Equal(prefix, created.ApiKey.Prefix);
        Assert.Equal(["operator", "approver"], created.ApiKey.Roles);
        Assert.Equal("default", created.ApiKey.Tenant);

        using var admin = _auth.Client(_auth.BootstrapKey);
        var listing = await admin.GetStringAsync("/api/v1/admin/keys", Ct);
        Assert.Contains(created.ApiKey.Id.ToString(), listing, StringComparison.Ordinal);
        Assert.DoesNotContain(created.Key[16..], listing, StringComparison.Ordinal);
        var stored = await _auth.Factory.Services.GetRequiredService<IApiKeyStore>().FindApiKeyAsync(prefix, Ct);
        Assert.NotEqual(System.Text.Encoding.ASCII.GetBytes(created.Key), stored!.Hash);
        Assert.Equal(32, stored.Hash.Length);
    }

    [Fact]
    public async Task Revoke_StopsTheKeyAtOnce_AndIsIdempotent()
    {
        var created = await _auth.CreateKeyAsync(Ct, ApexRoles.Viewer);
        using var user = _auth.Client(created.Key);
        Assert.Equal(HttpStatusCode.OK, (await user.GetAsync("/api/v1/tasks", Ct)).StatusCode); // now cached

        using var admin = _auth.Client(_auth.BootstrapKey);
        using var revoked = await admin.PostAsync($"/api/v1/admin/keys/{created.ApiKey.Id}/revoke", null, Ct);
        var body = await revoked.Content.ReadFromJsonAsync(ApexJsonContext.Default.ApiKeyResponse, Ct);
        Assert.NotNull(body?.RevokedAt);
        Assert.Equal(HttpStatusCode.Unauthorized, (await user.GetAsync("/api/v1/tasks", Ct)).StatusCode);
        using var again = await admin.PostAsync($"/api/v1/admin/keys/{created.ApiKey.Id}/revoke", null, Ct);
        Assert.Equal(body!.RevokedAt, (await again.Content.ReadFromJsonAsync(ApexJsonContext.Default.ApiKeyResponse, Ct))!.RevokedAt);
        using var missing = await admin.PostAsync($"/api/v1/admin/keys/{Guid.NewGuid()}/revoke", null, Ct);
        Assert.Equal("api_key_not_found", (await Problem.ReadAsync(missing, Ct)).Code);
    }

    [Theory]
    [InlineData("", new[] { "admin" }, "name")]
    [InlineData("ci", new string[0], "roles")]
    [InlineData("ci", new[] { "root" }, "roles")]
    public async Task Create_Invalid_Is422(string name, string[] roles, string field)
    {
        using var admin = _auth.Client(_auth.BootstrapKey);
        using var response = await admin.PostAsJsonAsync("/api/v1/admin/keys", new CreateApiKeyRequest { Name = name, Roles = roles },
            ApexJsonContext.Default.CreateApiKeyRequest, Ct);
        var problem = await Problem.ReadAsync(response, Ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, problem.Status);
        Assert.Contains(field, problem.Errors.Keys);
    }

    [Fact]
    public async Task Create_ExpiryInThePast_Is422()
    {
        using var admin = _auth.Client(_auth.BootstrapKey);
        using var response = await admin.PostAsJsonAsync("/api/v1/admin/keys",
            new CreateApiKeyRequest { Name = "old", Roles = ["viewer"], ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) }, ApexJsonContext.Default.CreateApiKeyRequest, Ct);
        Assert.Contains("expires_at", (await Problem.ReadAsync(response, Ct)).Errors.Keys);
    }

    [Fact]
    public async Task LastUsed_IsWrittenByTheUsageWriter_NotPerRequest()
    {
        var created = await _auth.CreateKeyAsync(Ct, ApexRoles.Viewer);
        using var user = _auth.Client(created.Key);
        Assert.Equal(HttpStatusCode.OK, (await user.GetAsync("/api/v1/tasks", Ct)).StatusCode);
        var store = _auth.Factory.Services.GetRequiredService<IApiKeyStore>();
        Assert.Null((await store.FindApiKeyAsync(created.ApiKey.Prefix, Ct))!.LastUsedAt);

        var writer = _auth.Factory.Services.GetServices<IHostedService>().OfType<ApiKeyUsageWriter>().Single();
        await writer.WriteAsync(Ct);
        var used = (await store.FindApiKeyAsync(created.ApiKey.Prefix, Ct))!.LastUsedAt;
        Assert.NotNull(used);
        Assert.InRange(used.Value, created.ApiKey.CreatedAt, DateTimeOffset.UtcNow.AddSeconds(1));
    }
}
