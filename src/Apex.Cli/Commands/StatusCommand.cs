using System.CommandLine;
using System.Net;
using Apex.Cli.Rendering;
using Apex.Client;
using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Spectre.Console;

namespace Apex.Cli.Commands;

/// <summary><c>apex status &lt;id&gt;</c>: a DAG with a table of its tasks, or a single task.</summary>
internal static class StatusCommand
{
    private const int MaxOutputChars = 4_000;

    public static Command Create(CliConsole console)
    {
        var id = new Argument<Guid>("id") { Description = "A DAG id or a task id." };
        var server = ServerConnection.CreateOption();
        var apiKey = ServerConnection.CreateApiKeyOption();
        var command = new Command("status", "Show the status of a DAG (with its tasks) or of a task.") { id, server, apiKey };
        command.SetAction((parse, cancellationToken) => ServerConnection.WithClientAsync(
            parse.GetValue(server)!, parse.GetValue(apiKey), console, client => ShowAsync(client, parse.GetValue(id), console, cancellationToken), cancellationToken));
        return command;
    }

    private static async Task<int> ShowAsync(ApexClient client, Guid id, CliConsole console, CancellationToken cancellationToken)
    {
        DagResponse dag;
        try
        {
            dag = await client.GetDagAsync(id, cancellationToken);
        }
        catch (ApexApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            TaskResponse task;
            try
            {
                task = await client.GetTaskAsync(id, cancellationToken);
            }
            catch (ApexApiException inner) when (inner.StatusCode == HttpStatusCode.NotFound)
            {
                CliErrors.Write(console, $"no DAG or task with id {id} on {client.BaseAddress}.");
                return ExitCodes.Failed;
            }
            WriteTask(console, task);
            return ExitCodes.Success;
        }
        await WriteDagAsync(client, console, dag, cancellationToken);
        return ExitCodes.Success;
    }

    private static async Task WriteDagAsync(ApexClient client, CliConsole console, DagResponse dag, CancellationToken cancellationToken)
    {
        var tasks = new Dictionary<Guid, TaskResponse>();
        string? cursor = null;
        do
        {
            var page = await client.ListTasksAsync(dagId: dag.Id, limit: 500, cursor: cursor, cancellationToken: cancellationToken);
            foreach (var task in page.Items)
            {
                tasks[task.Id] = task;
            }
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        var ordered = dag.Tasks is { Count: > 0 } summaries
            ? summaries.Select(s => tasks.TryGetValue(s.Id, out var t) ? TaskProgress.From(t) with { Key = s.Key } : new TaskProgress { Key = s.Key, Id = s.Id, Status = s.Status })
            : tasks.Values.OrderBy(t => t.CreatedAt).Select(TaskProgress.From);
        var progress = new DagProgress(dag.Id, dag.Name, dag.Status, [.. ordered]);
        var now = DateTimeOffset.UtcNow;

        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        grid.AddRow(new Text("DAG"), new Text(dag.Id.ToString()));
        grid.AddRow(new Text("Failure policy"), new Text(ProgressName(dag.FailurePolicy)));
        grid.AddRow(new Text("Created"), new Text(dag.CreatedAt.ToString("u")));
        if (dag.FinishedAt is { } finished)
        {
            grid.AddRow(new Text("Finished"), new Text(finished.ToString("u")));
        }
        ProgressBoard.Write(console, progress, (dag.FinishedAt ?? now) - dag.CreatedAt, now);
        console.Out.Write(grid);
    }

    private static void WriteTask(CliConsole console, TaskResponse task)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        grid.AddRow(new Text("Task"), new Markup($"[bold]{Markup.Escape(task.Name)}[/] [grey]{task.Id}[/]"));
        grid.AddRow(new Text("Status"), new Markup($"[{ProgressStyle.Color(task.Status)}]{ProgressStyle.Name(task.Status)}[/]"));
        if (task.DagId is { } dagId)
        {
            grid.AddRow(new Text("DAG"), new Text($"{dagId} (task {task.Key})"));
        }
        grid.AddRow(new Text("Agent"), new Text(task.Agent));
        grid.AddRow(new Text("Attempt"), new Text($"{task.Attempt}/{task.MaxAttempts}"));
        grid.AddRow(new Text("Usage"), new Text(
            $"{ProgressStyle.Number(task.Usage.InputTokens)} in + {ProgressStyle.Number(task.Usage.OutputTokens)} out tokens · " +
            $"{task.Usage.ApiCalls} calls · {ProgressStyle.Cost(task.Usage.CostUsd)}"));
        grid.AddRow(new Text("Created"), new Text(task.CreatedAt.ToString("u")));
        if (task.StartedAt is { } started)
        {
            grid.AddRow(new Text("Started"), new Text(started.ToString("u")));
        }
        if (task.FinishedAt is { } finished)
        {
            grid.AddRow(new Text("Finished"), new Text(finished.ToString("u")));
        }
        if (task.Error is { } error)
        {
            grid.AddRow(new Text("Error"), new Markup($"[red]{Markup.Escape(error.Code)}[/]: {Markup.Escape(error.Message)}"));
        }
        console.Out.Write(grid);
        if (task.Output is { } output)
        {
            console.Out.Write(new Rule("Output").LeftJustified());
            console.Out.WriteLine(output.Length <= MaxOutputChars ? output : output[..MaxOutputChars] + $"… ({output.Length - MaxOutputChars:N0} more characters)");
        }
    }

    private static string ProgressName(FailurePolicy policy) => policy == FailurePolicy.FailFast ? "fail_fast" : "continue";
}
