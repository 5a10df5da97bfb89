using Apex.Core.Agents;
using System.ComponentModel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Apex.Agents.Tools;

/// <summary>
/// The tools one task may call: the agent's allow-listed built-ins and MCP tools, bound to the task (its scratchpad,
/// its tally). Whatever is not on the allow-list is never offered, and an MCP server none of whose tools is
/// allow-listed is not even contacted.
/// </summary>
internal sealed class ToolCatalog(HttpFetcher fetcher, IScratchpad scratchpad, IOptions<ScratchpadOptions> scratchpadOptions, McpToolSource mcp)
{
    public const string Calculator = "calculator";
    public const string ScratchpadRead = "scratchpad_read";
    public const string ScratchpadWrite = "scratchpad_write";
    public const string ScratchpadList = "scratchpad_list";

    /// <summary>Names of the built-in tools.</summary>
    public static IReadOnlyList<string> BuiltIns { get; } = [HttpFetcher.ToolName, Calculator, ScratchpadRead, ScratchpadWrite, ScratchpadList];

    /// <summary>The tools for <see cref="ChatOptions.Tools"/>.</summary>
    /// <exception cref="Runtime.AgentExecutionException">An allow-listed MCP server is not allowed or cannot be reached.</exception>
    public async Task<IList<AITool>> GetToolsAsync(AgentToolSettings settings, ToolContext context, CancellationToken cancellationToken = default)
    {
        var allowed = settings.AllowedTools.ToHashSet(StringComparer.Ordinal);
        List<AITool> tools = [];
        foreach (var name in BuiltIns.Where(allowed.Contains))
        {
            tools.Add(BuiltIn(name, context));
        }
        foreach (var server in settings.McpServers)
        {
            var prefix = server.Name + McpToolSource.Separator;
            if (allowed.Any(name => name.StartsWith(prefix, StringComparison.Ordinal)))
            {
                tools.AddRange((await mcp.GetToolsAsync(server, cancellationToken)).Where(t => allowed.Contains(t.Name)));
            }
        }
        return tools;
    }

    private AIFunction BuiltIn(string name, ToolContext context) => name switch
    {
        HttpFetcher.ToolName => AIFunctionFactory.Create(
            ([Description("Absolute http or https URL.")] string url, CancellationToken cancellationToken) => fetcher.FetchAsync(url, context, cancellationToken),
            name,
            "GET a public web page or API and return its status, content type and text (truncated). Internal addresses are refused."),
        Calculator => AIFunctionFactory.Create(
            ([Description("Arithmetic such as (2 + 3) * sqrt(16) / 7 ^ 2 % 3; functions sqrt abs min max round floor ceil; constants pi e.")] string expression) => Evaluate(expression),
            name,
            "Evaluate an arithmetic expression exactly as written and return the number."),
        ScratchpadRead => AIFunctionFactory.Create(
            ([Description("The key to read.")] string key, CancellationToken cancellationToken) => ReadAsync(context, key, cancellationToken),
            name,
            "Read a value from the scratchpad shared by the tasks of this workflow."),
        ScratchpadWrite => AIFunctionFactory.Create(
            ([Description("Key: 1-128 of A-Z a-z 0-9 _ - . : /")] string key, [Description("Text to store; replaces any earlier value.")] string value, CancellationToken cancellationToken)
                => WriteAsync(context, key, value, cancellationToken),
            name,
            "Store a text value in the scratchpad shared by the tasks of this workflow."),
        ScratchpadList => AIFunctionFactory.Create(
            (CancellationToken cancellationToken) => ListAsync(context, cancellationToken),
            name,
            "List the keys in the scratchpad shared by the tasks of this workflow."),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Not a built-in tool."),
    };

    private static string Evaluate(string expression)
    {
        try
        {
            return Tools.Calculator.Format(Tools.Calculator.Evaluate(expression));
        }
        catch (CalculatorException e)
        {
            return "error: " + e.Message;
        }
    }

    private async Task<string> ReadAsync(ToolContext context, string key, CancellationToken cancellationToken) =>
        !ScratchpadOptions.IsValidKey(key)
            ? InvalidKey
            : await scratchpad.ReadAsync(context.Scratchpad, key, cancellationToken) ?? $"error: no value under '{key}'";

    private async Task<string> WriteAsync(ToolContext context, string key, string value, CancellationToken cancellationToken)
    {
        if (!ScratchpadOptions.IsValidKey(key))
        {
            return InvalidKey;
        }
        var limits = scratchpadOptions.Value;
        return await scratchpad.WriteAsync(context.Scratchpad, key, value ?? "", cancellationToken) switch
        {
            Tools.ScratchpadWrite.Ok => "ok",
            Tools.ScratchpadWrite.TooManyKeys => $"error: the scratchpad is full ({limits.MaxKeys} keys)",
            _ => $"error: the scratchpad would exceed {limits.MaxBytes} bytes",
        };
    }

    private async Task<string> ListAsync(ToolContext context, CancellationToken cancellationToken)
    {
        var keys = await scratchpad.ListAsync(context.Scratchpad, cancellationToken);
        return keys.Count == 0 ? "(empty)" : string.Join('\n', keys);
    }

    private const string InvalidKey = "error: a key is 1-128 of A-Z a-z 0-9 _ - . : /";
}
