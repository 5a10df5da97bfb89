using System.CommandLine;
using Apex.Cli.Commands;

namespace Apex.Cli;

/// <summary>The <c>apex</c> command tree.</summary>
internal static class ApexCommandLine
{
    /// <summary>Parses and runs <paramref name="args"/>; returns the process exit code.</summary>
    public static async Task<int> InvokeAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        var root = Create(console);
        var parsed = root.Parse(args);
        var configuration = new InvocationConfiguration
        {
            Output = console.Out.Profile.Out.Writer,
            Error = console.Error.Profile.Out.Writer,
            // Ctrl+C cancels the action's token; give `run` time to cancel its DAG and print the summary.
            ProcessTerminationTimeout = TimeSpan.FromSeconds(15),
        };
        var exitCode = await parsed.InvokeAsync(configuration, cancellationToken);
        return parsed.Errors.Count > 0 ? ExitCodes.InvalidInput : exitCode;
    }

    public static RootCommand Create(CliConsole console) => new("apex: submit, follow and run DAGs of LLM agent tasks.")
    {
        SubmitCommand.Create(console),
        StatusCommand.Create(console),
        WatchCommand.Create(console),
        RunCommand.Create(console),
        ApprovalsCommand.Create(console),
        UsageCommand.Create(console),
        KeysCommand.Create(console),
        AuditCommand.Create(console),
        TenantsCommand.Create(console),
    };
}
