using Apex.Cli.Rendering;
using Apex.Contracts.Dags;
using Spectre.Console;

namespace Apex.Cli.Commands;

/// <summary>The last line of <c>run</c> and <c>watch</c>.</summary>
internal static class Summary
{
    public static void Write(CliConsole console, DagProgress progress, TimeSpan elapsed)
    {
        var color = ProgressStyle.Color(progress.Status);
        var verdict = progress.Status switch
        {
            DagState.Succeeded or DagState.Failed or DagState.Cancelled => ProgressStyle.Name(progress.Status),
            _ => $"still {ProgressStyle.Name(progress.Status)}",
        };
        console.Out.MarkupLine(
            $"[bold]DAG {Markup.Escape(progress.Name)}[/] [{color}]{verdict}[/] in {ProgressStyle.Duration(elapsed)}: " +
            $"{Markup.Escape(progress.Counts())} · {ProgressStyle.Number(progress.Tokens)} tokens · {ProgressStyle.Cost(progress.CostUsd)}");
    }
}
