using Apex.Client;
using Spectre.Console;

namespace Apex.Cli;

/// <summary>Error output, on stderr.</summary>
internal static class CliErrors
{
    public static void Write(CliConsole console, string message) =>
        console.Error.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");

    public static void Write(CliConsole console, ApexApiException e) =>
        Write(console, e.Code, e.Detail ?? e.Title ?? e.Message, e.Errors, e.Nodes,
            e.RetryAfter is { } wait ? $"retry after {wait.TotalSeconds:0.#} s" : null);

    /// <summary>A rejected request: its stable code, the message, each offending field and the offending DAG nodes.</summary>
    public static void Write(CliConsole console, string code, string message, IReadOnlyDictionary<string, string[]> errors,
        IReadOnlyList<string> nodes, string? hint = null)
    {
        console.Error.MarkupLine($"[red]error:[/] [bold]{Markup.Escape(code)}[/]: {Markup.Escape(message)}");
        foreach (var (field, problems) in errors)
        {
            console.Error.MarkupLine($"  [yellow]{Markup.Escape(field)}[/]: {Markup.Escape(string.Join(" ", problems))}");
        }
        if (nodes.Count > 0)
        {
            console.Error.MarkupLine($"  nodes: {Markup.Escape(string.Join(", ", nodes))}");
        }
        if (hint is not null)
        {
            console.Error.MarkupLine($"  {Markup.Escape(hint)}");
        }
    }
}
