namespace Apex.Core.Agents;

/// <summary>
/// An agent's tools, stored with the agent: the tools it may call (nothing else is offered), the MCP servers those
/// may come from, and how many model round trips with tool calls one task may take. Plain data, so it serialises with
/// System.Text.Json under the API's snake_case policy.
/// </summary>
public sealed record AgentToolSettings
{
    /// <summary>Default of <see cref="MaxSteps"/>.</summary>
    public const int DefaultMaxSteps = 8;

    /// <summary>Largest <see cref="MaxSteps"/>.</summary>
    public const int MaxMaxSteps = 64;

    /// <summary>
    /// Names of the tools the agent may call: built-ins (<c>http_fetch</c>, <c>calculator</c>, <c>scratchpad_read</c>,
    /// <c>scratchpad_write</c>, <c>scratchpad_list</c>) and MCP tools as <c>&lt;server&gt;__&lt;tool&gt;</c>. Empty: no tools.
    /// </summary>
    public IReadOnlyList<string> AllowedTools { get; init; } = [];

    /// <summary>MCP servers whose allow-listed tools are offered.</summary>
    public IReadOnlyList<McpServerDefinition> McpServers { get; init; } = [];

    /// <summary>
    /// Most rounds of tool calls in one task (FunctionInvokingChatClient's MaximumIterationsPerRequest); after them the
    /// model gets one more request, without tools, to answer.
    /// </summary>
    public int MaxSteps { get; init; } = DefaultMaxSteps;
}
