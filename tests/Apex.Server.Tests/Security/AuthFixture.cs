using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using Apex.Contracts;
using Apex.Contracts.Keys;
using Apex.Core.Security;
using Apex.Server.Security;
using Microsoft.Extensions.DependencyInjection;
using Apex.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Apex.Server.Tests.Security;

/// <summary>A server that requires credentials: a bootstrap admin key and HS256 JWTs, plus helpers to make both.</summary>
internal sealed class AuthFixture : IAsyncDisposable
{
    public const string Issuer = "https://issuer.test";
    public const string Audience = "apex-tests";

    private readonly Dictionary<string, string?> _settings;

    private AuthFixture(Dictionary<string, string?> settings, string bootstrapKey, byte[] signingKey)
    {
        _settings = settings;
        Factory = new ApexAppFactory(settings);
        BootstrapKey = bootstrapKey;
        SigningKey = signingKey;
    }

    public ApexAppFactory Factory { get; }

    public string BootstrapKey { get; }

    public byte[] SigningKey { get; }

    public static AuthFixture Create(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var bootstrap = ApiKeyFormat.Generate();
        var signingKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var all = new Dictionary<string, string?>
        {
            ["Apex:Auth:BootstrapAdminKey"] = bootstrap,
            ["Apex:Auth:Jwt:SigningKey"] = Convert.ToBase64String(signingKey),
            ["Apex:Auth:Jwt:Issuer"] = Issuer,
            ["Apex:Auth:Jwt:Audience"] = Audience,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        return new AuthFixture(all, bootstrap, signingKey);
    }

    /// <summary>Another server with the same settings and credentials (two API servers of one distributed set-up).</summary>
    public AuthFixture Twin() => new(_settings, BootstrapKey, SigningKey);

    public HttpClient Client(string? credential = null)
    {
        var client = Factory.CreateClient();
        if (credential is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        }
        return client;
    }

    /// <summary>A new key with <paramref name="roles"/>, made through the admin API with the bootstrap key.</summary>
    public async Task<CreatedApiKeyResponse> CreateKeyAsync(CancellationToken cancellationToken, params string[] roles)
    {
        using var admin = Client(BootstrapKey);
        using var response = await admin.PostAsJsonAsync("/api/v1/admin/keys",
            new CreateApiKeyRequest { Name = string.Join('+', roles), Roles = roles }, ApexJsonContext.Default.CreateApiKeyRequest, cancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync(ApexJsonContext.Default.CreatedApiKeyResponse, cancellationToken))!;
    }

    /// <summary>A new key of <paramref name="tenant"/>, written straight to the store (the keys API makes keys of the caller's tenant only).</summary>
    public async Task<string> CreateTenantKeyAsync(string tenant, CancellationToken cancellationToken, params string[] roles)
    {
        var key = ApiKeyFormat.Generate();
        _ = ApiKeyFormat.TryParse(key, out var prefix);
        var hasher = Factory.Services.GetRequiredService<ApiKeyHasher>();
        await Factory.Services.GetRequiredService<IApiKeyStore>().CreateApiKeyAsync(new ApiKeyRecord
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenant,
            Prefix = prefix,
            Hash = hasher.Hash(key),
            Name = $"{tenant} {string.Join('+', roles)}",
            Roles = roles,
            CreatedAt = DateTimeOffset.UtcNow,
        }, cancellationToken);
        return key;
    }

    /// <summary>A signed token; <paramref name="configure"/> changes the descriptor to make it wrong in one way.</summary>
    public string Token(Action<SecurityTokenDescriptor>? configure = null, byte[]? key = null, string tenant = "default", params string[] roles)
    {
        var now = DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now.AddMinutes(-1),
            Expires = now.AddMinutes(10),
            Subject = new ClaimsIdentity([new Claim("sub", "user-1"), new Claim("apex_tenant", tenant), .. roles.Select(r => new Claim("roles", r))]),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key ?? SigningKey), SecurityAlgorithms.HmacSha256),
        };
        configure?.Invoke(descriptor);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>An unsigned token (<c>alg=none</c>) that is otherwise valid.</summary>
    public static string UnsignedToken(string payloadJson) =>
        $"{Base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{Base64Url(payloadJson)}.";

    public static string Base64Url(string text) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(text));

    public ValueTask DisposeAsync() => Factory.DisposeAsync();
}
