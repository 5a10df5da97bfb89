using Apex.Core.Agents;
using System.Collections.Concurrent;
using Apex.Agents.Runtime;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Client;

namespace Apex.Agents.Tools;

/// <summary>
/// MCP clients, one per distinct server definition, connected on first use and kept until disposed (a client whose
/// session ended is replaced on the next use). Their tools are renamed <c>&lt;server&gt;__&lt;tool&gt;</c> so they
/// cannot shadow a built-in or another server's tool, and so they match <c>^[a-zA-Z0-9_-]{1,64}$</c>.
/// </summary>
internal sealed class McpToolSource(IOptions<McpOptions> options, ILoggerFactory loggerFactory) : IAsyncDisposable
{
    public const string Separator = "__";
    private const int MaxToolNameLength = 64;

    private readonly McpOptions _options = options.Value;
    private readonly ILogger _logger = loggerFactory.CreateLogger<McpToolSource>();
    private readonly ConcurrentDictionary<string, Lazy<Task<Connection>>> _connections = new(StringComparer.Ordinal);

    /// <summary>The tools of <paramref name="server"/>, renamed.</summary>
    /// <exception cref="AgentExecutionException">The definition is not allowed, or the server cannot be reached (retryable).</exception>
    public async Task<IReadOnlyList<AIFunction>> GetToolsAsync(McpServerDefinition server, CancellationToken cancellationToken = default)
    {
        CheckAllowed(server);
        var key = string.Join('\n', [server.Name, server.Command ?? "", server.Url ?? "", .. server.Arguments]);
        while (true)
        {
            var lazy = _connections.GetOrAdd(key, _ => new Lazy<Task<Connection>>(() => ConnectAsync(server)));
            Connection connection;
            try
            {
                connection = await lazy.Value.WaitAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                _connections.TryRemove(KeyValuePair.Create(key, lazy));
                _logger.McpServerUnavailable(e, server.Name);
                throw new AgentExecutionException("mcp_unavailable", $"MCP server '{server.Name}' is unavailable.", retryable: true, e);
            }
            if (!connection.Client.Completion.IsCompleted)
            {
                return connection.Tools;
            }
            if (_connections.TryRemove(KeyValuePair.Create(key, lazy)))
            {
                await connection.Client.DisposeAsync();
            }
        }
    }

    /// <summary>The model-facing name of <paramref name="tool"/> of <paramref name="server"/>.</summary>
    public static string ToolName(string server, string tool)
    {
        var name = string.Concat(server, Separator, string.Concat(tool.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_')));
        return name.Length <= MaxToolNameLength ? name : name[..MaxToolNameLength];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var lazy in _connections.Values)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
            {
                await lazy.Value.Result.Client.DisposeAsync();
            }
        }
        _connections.Clear();
    }

    private void CheckAllowed(McpServerDefinition server)
    {
        if (!server.IsValid)
        {
            throw new AgentExecutionException("mcp_invalid", $"MCP server definition '{server.Name}' is invalid.", retryable: false);
        }
        if (server.Command is { } command && !_options.AllowedCommands.Contains(command, StringComparer.Ordinal))
        {
            _logger.McpCommandNotAllowed(server.Name, command);
            throw new AgentExecutionException("mcp_not_allowed", $"MCP server '{server.Name}' uses a command Apex:Tools:Mcp:AllowedCommands does not list.", retryable: false);
        }
        if (server.Url is { } url && !_options.AllowedUrls.Any(prefix => url.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
        {
            throw new AgentExecutionException("mcp_not_allowed", $"MCP server '{server.Name}' has a URL Apex:Tools:Mcp:AllowedUrls does not allow.", retryable: false);
        }
    }

    private async Task<Connection> ConnectAsync(McpServerDefinition server)
    {
        // The connection outlives the task that opened it: only the timeout, not a task's token, may abort it.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds));
        IClientTransport transport = server.Url is { } url
            ? new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri(url), Name = server.Name }, loggerFactory)
            : new StdioClientTransport(
                new StdioClientTransportOptions
                {
                    Name = server.Name,
                    Command = server.Command!,
                    Arguments = [.. server.Arguments],
                    // The server process must not inherit this process's provider keys and other secrets.
                    InheritEnvironmentVariables = false,
                    EnvironmentVariables = StdioClientTransportOptions.GetDefaultEnvironmentVariables(),
                },
                loggerFactory);
        var client = await McpClient.CreateAsync(transport, loggerFactory: loggerFactory, cancellationToken: timeout.Token);
        try
        {
            var tools = await client.ListToolsAsync(cancellationToken: timeout.Token);
            return new Connection(client, [.. tools.Select(t => t.WithName(ToolName(server.Name, t.Name)))]);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    private sealed record Connection(McpClient Client, IReadOnlyList<AIFunction> Tools);
}
