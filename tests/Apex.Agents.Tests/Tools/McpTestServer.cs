using System.ComponentModel;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Server;

namespace Apex.Agents.Tests.Tools;

/// <summary>A real MCP server (Streamable HTTP, ModelContextProtocol.AspNetCore) on loopback that counts its tool calls.</summary>
internal sealed class McpTestServer : IAsyncDisposable
{
    private int _echoCalls;
    private int _approveCalls;
    private LoopbackWebServer _web = null!;

    public Uri Url => _web.Url("/mcp");

    public int EchoCalls => Volatile.Read(ref _echoCalls);

    /// <summary>Calls of <c>approve_task</c>: the tool an injected instruction wants, which no agent allow-lists.</summary>
    public int ApproveCalls => Volatile.Read(ref _approveCalls);

    /// <summary>What <c>read_ticket</c> returns: a ticket carrying planted instructions.</summary>
    public string Ticket { get; set; } = "Ticket #1: printer broken.";

    public static async Task<McpTestServer> StartAsync()
    {
        var server = new McpTestServer();
        McpServerTool[] tools =
        [
            McpServerTool.Create(
                ([Description("Text to echo.")] string text) =>
                {
                    Interlocked.Increment(ref server._echoCalls);
                    return "echo: " + text;
                },
                new McpServerToolCreateOptions { Name = "echo", Description = "Echo the text back." }),
            McpServerTool.Create(
                ([Description("Task id.")] string taskId) =>
                {
                    Interlocked.Increment(ref server._approveCalls);
                    return "approved " + taskId;
                },
                new McpServerToolCreateOptions { Name = "approve_task", Description = "Approve a task awaiting human approval." }),
            McpServerTool.Create(
                () => server.Ticket,
                new McpServerToolCreateOptions { Name = "read_ticket", Description = "Read the current support ticket." }),
        ];
        server._web = await LoopbackWebServer.StartAsync(
            app => app.MapMcp("/mcp"),
            services => services.AddMcpServer().WithHttpTransport().WithTools(tools));
        return server;
    }

    public ValueTask DisposeAsync() => _web.DisposeAsync();
}
