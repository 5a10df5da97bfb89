namespace Apex.Agents.Tools;

/// <summary>
/// Which MCP servers agents may use (configuration section <c>Apex:Tools:Mcp</c>). Agents are defined through the API;
/// these operator settings keep an agent definition from starting arbitrary programs or reaching arbitrary URLs.
/// </summary>
public sealed class McpOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Tools:Mcp";

    /// <summary>Executables stdio servers may be started with, compared exactly. Empty: no stdio servers.</summary>
    public List<string> AllowedCommands { get; set; } = [];

    /// <summary>URL prefixes HTTP servers must start with (e.g. <c>https://mcp.example.com/</c>). Empty: no HTTP servers.</summary>
    public List<string> AllowedUrls { get; set; } = [];

    /// <summary>Longest wait to connect to a server and list its tools.</summary>
    public int ConnectTimeoutSeconds { get; set; } = 30;
}
