namespace Apex.Contracts.Agents;

/// <summary>An agent's tools: what it may call, where MCP tools come from, and how many tool rounds a task may take.</summary>
public sealed record AgentTools
{
    /// <summary>
    /// Tool names the agent may call (nothing else is offered): <c>http_fetch</c>, <c>calculator</c>,
    /// <c>scratchpad_read</c>, <c>scratchpad_write</c>, <c>scratchpad_list</c>, and MCP tools as <c>&lt;server&gt;__&lt;tool&gt;</c>.
    /// </summary>
    public IReadOnlyList<string>? Allowed { get; init; }

    /// <summary>MCP servers the allow-listed MCP tools come from.</summary>
    public IReadOnlyList<McpServer>? McpServers { get; init; }

    /// <summary>Most rounds of tool calls in one task (1–64, default 8).</summary>
    public int? MaxSteps { get; init; }
}

/// <summary>An MCP server: a stdio command (listed in <c>Apex:Tools:Mcp:AllowedCommands</c>) or an HTTP URL (under <c>Apex:Tools:Mcp:AllowedUrls</c>).</summary>
public sealed record McpServer
{
    /// <summary>1–32 of <c>A–Z a–z 0–9 -</c>.</summary>
    public string? Name { get; init; }

    /// <summary>Executable of a stdio server.</summary>
    public string? Command { get; init; }

    /// <summary>Its arguments.</summary>
    public IReadOnlyList<string>? Arguments { get; init; }

    /// <summary>URL of an HTTP server.</summary>
    public string? Url { get; init; }
}
