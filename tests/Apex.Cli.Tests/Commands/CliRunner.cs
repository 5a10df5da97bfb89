using Spectre.Console;
using Xunit;

namespace Apex.Cli.Tests.Commands;

/// <summary>Runs <c>apex</c> in-process with its output captured, as when stdout is redirected.</summary>
internal static class CliRunner
{
    public static async Task<(int ExitCode, string Out, string Error)> InvokeAsync(bool live, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var console = new CliConsole(Create(output), Create(error), live);
        var exitCode = await ApexCommandLine.InvokeAsync(args, console, TestContext.Current.CancellationToken);
        return (exitCode, output.ToString(), error.ToString());
    }

    public static Task<(int ExitCode, string Out, string Error)> InvokeAsync(params string[] args) => InvokeAsync(live: false, args);

    public static CliConsole Console(StringWriter output, StringWriter error, bool live = false) => new(Create(output), Create(error), live);

    private static IAnsiConsole Create(StringWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 160;
        return console;
    }
}
