using Spectre.Console;

namespace Apex.Cli;

/// <summary>Where the CLI writes.</summary>
/// <param name="Out">Results and progress.</param>
/// <param name="Error">Errors.</param>
/// <param name="Live">
/// True when stdout is a terminal: progress is a live table. When redirected (CI logs, tests), progress is one plain
/// line per change instead.
/// </param>
internal sealed record CliConsole(IAnsiConsole Out, IAnsiConsole Error, bool Live)
{
    // A redirected stream has no width; 80 columns would wrap every table in a CI log.
    private const int RedirectedWidth = 120;

    /// <summary>The process's own stdout and stderr.</summary>
    public static CliConsole FromProcess()
    {
        var output = AnsiConsole.Console;
        var error = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        var width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 0 ? columns : RedirectedWidth;
        if (Console.IsOutputRedirected)
        {
            output.Profile.Width = width;
        }
        if (Console.IsErrorRedirected)
        {
            error.Profile.Width = width;
        }
        return new CliConsole(output, error, !Console.IsOutputRedirected && output.Profile.Capabilities.Interactive);
    }
}
