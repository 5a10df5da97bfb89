using Apex.Agents.Security;
using Apex.Agents.Tools;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the agent tools.</summary>
public static class ToolsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the tool catalog, <c>http_fetch</c> (<c>Apex:Tools:HttpFetch</c>), the in-process scratchpad
    /// (<c>Apex:Tools:Scratchpad</c>; <c>AddApexRedis</c> replaces it, in either order), MCP clients
    /// (<c>Apex:Tools:Mcp</c>) and the <see cref="SecretRedactor"/>.
    /// </summary>
    public static IServiceCollection AddApexTools(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<HttpFetchOptions>().BindConfiguration(HttpFetchOptions.Section)
            .Validate(o => o.MaxResponseBytes is >= 1024 and <= 16 * 1024 * 1024 && o.TimeoutSeconds is >= 1 and <= 300 && o.MaxRedirects is >= 0 and <= 10,
                "Apex:Tools:HttpFetch: MaxResponseBytes must be 1 KiB–16 MiB, TimeoutSeconds 1–300 and MaxRedirects 0–10.")
            .ValidateOnStart();
        services.AddOptions<ScratchpadOptions>().BindConfiguration(ScratchpadOptions.Section)
            .Validate(o => o.MaxKeys >= 1 && o.MaxBytes >= 1024 && o.Ttl >= TimeSpan.FromMinutes(1),
                "Apex:Tools:Scratchpad: MaxKeys must be ≥ 1, MaxBytes ≥ 1024 and Ttl ≥ 1 minute.")
            .ValidateOnStart();
        services.AddOptions<McpOptions>().BindConfiguration(McpOptions.Section)
            .Validate(o => o.ConnectTimeoutSeconds is >= 1 and <= 300, "Apex:Tools:Mcp:ConnectTimeoutSeconds must be 1–300.")
            .ValidateOnStart();
        services.TryAddSingleton<SecretRedactor>();
        services.TryAddSingleton<HttpFetcher>();
        services.TryAddSingleton<IScratchpad, InMemoryScratchpad>();
        services.TryAddSingleton<McpToolSource>();
        services.TryAddSingleton<ToolCatalog>();
        return services;
    }
}
