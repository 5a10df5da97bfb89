using System.CommandLine;

namespace Apex.Cli.Commands;

/// <summary><c>apex watch &lt;dag-id&gt;</c>: live progress of a DAG on a server until it finishes.</summary>
internal static class WatchCommand
{
    public static Command Create(CliConsole console)
    {
        var dagId = new Argument<Guid>("dag-id") { Description = "The DAG to follow." };
        var server = ServerConnection.CreateOption();
        var apiKey = ServerConnection.CreateApiKeyOption();
        var command = new Command("watch", "Show a DAG's progress live until it finishes; exits 0 iff it succeeded.") { dagId, server, apiKey };
        command.SetAction((parse, cancellationToken) => ServerConnection.WithClientAsync(
            parse.GetValue(server)!, parse.GetValue(apiKey), console,
            client => DagWatcher.WatchAsync(client, parse.GetValue(dagId), console, TimeProvider.System, cancellationToken),
            cancellationToken));
        return command;
    }
}
