using System.CommandLine;
using Apex.Cli.Dags;
using Apex.Cli.Rendering;
using Apex.Client;
using Apex.Contracts.Dags;
using Spectre.Console;

namespace Apex.Cli.Commands;

/// <summary><c>apex submit &lt;file&gt;</c>: sends a DAG file to a server.</summary>
internal static class SubmitCommand
{
    public static Command Create(CliConsole console)
    {
        var file = new Argument<FileInfo>("file") { Description = "The DAG file: YAML (.yaml, .yml) or JSON (.json)." };
        var server = ServerConnection.CreateOption();
        var apiKey = ServerConnection.CreateApiKeyOption();
        var idempotencyKey = new Option<string?>("--idempotency-key")
        {
            Description = "Submitting again with the same key returns the DAG created the first time.",
            HelpName = "key",
        };
        var watch = new Option<bool>("--watch", "-w") { Description = "Then follow the DAG until it finishes, as `apex watch`." };
        var command = new Command("submit", "Submit a DAG file to an Apex server; prints the DAG id and the id of each task.")
        {
            file, server, apiKey, idempotencyKey, watch,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            console, parse.GetValue(file)!, parse.GetValue(server)!, parse.GetValue(apiKey), parse.GetValue(idempotencyKey), parse.GetValue(watch), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, FileInfo file, string server, string? apiKey, string? idempotencyKey, bool watch, CancellationToken cancellationToken)
    {
        CreateDagRequest request;
        try
        {
            request = await DagFileLoader.LoadAsync(file, cancellationToken);
        }
        catch (DagFileException e)
        {
            CliErrors.Write(console, e.Message);
            return ExitCodes.InvalidInput;
        }
        return await ServerConnection.WithClientAsync(server, apiKey, console, async client =>
        {
            var dag = await client.SubmitDagAsync(request, idempotencyKey, cancellationToken);
            Write(console, dag, client, hint: !watch);
            return watch ? await DagWatcher.WatchAsync(client, dag.Id, console, TimeProvider.System, cancellationToken) : ExitCodes.Success;
        }, cancellationToken);
    }

    private static void Write(CliConsole console, DagResponse dag, ApexClient client, bool hint)
    {
        console.Out.MarkupLine(
            $"Submitted DAG [bold]{Markup.Escape(dag.Name)}[/]: [bold]{dag.Id}[/] " +
            $"([{ProgressStyle.Color(dag.Status)}]{ProgressStyle.Name(dag.Status)}[/], {dag.TaskCount} tasks)");
        var table = new Table().Border(TableBorder.Rounded).AddColumn("Task").AddColumn("Id").AddColumn("Status").AddColumn("Depends on");
        foreach (var task in dag.Tasks ?? [])
        {
            table.AddRow(
                new Text(task.Key),
                new Text(task.Id.ToString()),
                new Markup($"[{ProgressStyle.Color(task.Status)}]{ProgressStyle.Name(task.Status)}[/]"),
                new Text(string.Join(", ", task.DependsOn ?? [])));
        }
        console.Out.Write(table);
        if (hint)
        {
            console.Out.MarkupLine($"[grey]Follow it with: apex watch {dag.Id} --server {Markup.Escape(client.BaseAddress.ToString().TrimEnd('/'))}[/]");
        }
    }
}
