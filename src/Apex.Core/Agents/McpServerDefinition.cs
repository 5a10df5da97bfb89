namespace Apex.Core.Agents;

/// <summary>An MCP server an agent takes tools from: a command started over stdio, or a Streamable HTTP / SSE URL.</summary>
public sealed record McpServerDefinition
{
    /// <summary>1–32 of <c>A–Z a–z 0–9 -</c>; the prefix of its tools' names (<c>&lt;name&gt;__&lt;tool&gt;</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Executable of a stdio server; must be listed in <c>Apex:Tools:Mcp:AllowedCommands</c>.</summary>
    public string? Command { get; init; }

    /// <summary>Arguments of <see cref="Command"/>.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>URL of an HTTP server; must start with an entry of <c>Apex:Tools:Mcp:AllowedUrls</c>.</summary>
    public string? Url { get; init; }

    /// <summary>True when the name is valid and exactly one of <see cref="Command"/> and <see cref="Url"/> is set.</summary>
    public bool IsValid =>
        Name is { Length: > 0 and <= 32 } && Name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')
        && (string.IsNullOrWhiteSpace(Command) != string.IsNullOrWhiteSpace(Url))
        && (Url is null || Uri.TryCreate(Url, UriKind.Absolute, out _));
}
