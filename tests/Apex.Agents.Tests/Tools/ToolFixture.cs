using Apex.Core.Agents;
using Apex.Agents.Security;
using Apex.Agents.Tools;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Apex.Agents.Tests.Tools;

/// <summary>A <see cref="ToolCatalog"/> wired like <c>AddApexTools</c> does, with the options a test sets.</summary>
internal sealed class ToolFixture : IAsyncDisposable
{
    public ToolFixture(Action<HttpFetchOptions>? fetch = null, Action<McpOptions>? mcp = null)
    {
        var fetchOptions = new HttpFetchOptions { TimeoutSeconds = 10 };
        fetch?.Invoke(fetchOptions);
        var mcpOptions = new McpOptions { ConnectTimeoutSeconds = 20 };
        mcp?.Invoke(mcpOptions);
        Fetcher = new HttpFetcher(Options.Create(fetchOptions), NullLogger<HttpFetcher>.Instance);
        Mcp = new McpToolSource(Options.Create(mcpOptions), NullLoggerFactory.Instance);
        Scratchpad = new InMemoryScratchpad(Options.Create(ScratchpadOptions), TimeProvider.System);
        Catalog = new ToolCatalog(Fetcher, Scratchpad, Options.Create(ScratchpadOptions), Mcp);
    }

    public ScratchpadOptions ScratchpadOptions { get; } = new();

    public HttpFetcher Fetcher { get; }

    public McpToolSource Mcp { get; }

    public InMemoryScratchpad Scratchpad { get; }

    public ToolCatalog Catalog { get; }

    public SecretRedactor Redactor { get; } = new();

    /// <summary>Runs <paramref name="model"/> through the tool-calling loop with the tools <paramref name="settings"/> allow.</summary>
    public async Task<ChatResponse> RunAsync(
        IChatClient model, AgentToolSettings settings, ToolContext context, string instruction, CancellationToken cancellationToken, ILoggerFactory? loggerFactory = null)
    {
        var tools = await Catalog.GetToolsAsync(settings, context, cancellationToken);
        using var client = ToolCalling.CreateClient(model, settings, context, Redactor, loggerFactory ?? NullLoggerFactory.Instance);
        return await client.GetResponseAsync([new ChatMessage(ChatRole.User, instruction)], new ChatOptions { Tools = tools }, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await Mcp.DisposeAsync();
        Fetcher.Dispose();
    }
}
