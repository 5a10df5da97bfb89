using Apex.Agents.Security;
using Apex.Agents.Tools;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Xunit;

namespace Apex.Agents.Tests.Tools;

public sealed class ToolsServiceCollectionExtensionsTests
{
    [Fact]
    public async Task AddApexTools_BindsSettingsAndResolvesTheCatalog()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Apex:Tools:HttpFetch:AllowedHosts:0"] = "example.com",
            ["Apex:Tools:Scratchpad:MaxKeys"] = "7",
            ["Apex:Tools:Mcp:AllowedUrls:0"] = "https://mcp.example.com/",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddLogging();

        await using var provider = services.AddApexTools().BuildServiceProvider();

        Assert.NotNull(provider.GetRequiredService<ToolCatalog>());
        Assert.IsType<InMemoryScratchpad>(provider.GetRequiredService<IScratchpad>());
        Assert.Same(provider.GetRequiredService<SecretRedactor>(), provider.GetRequiredService<SecretRedactor>());
        Assert.Equal(["example.com"], provider.GetRequiredService<IOptions<HttpFetchOptions>>().Value.AllowedHosts);
        Assert.Equal(7, provider.GetRequiredService<IOptions<ScratchpadOptions>>().Value.MaxKeys);
        Assert.Equal(["https://mcp.example.com/"], provider.GetRequiredService<IOptions<McpOptions>>().Value.AllowedUrls);
    }
}
