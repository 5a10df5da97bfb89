using System.CommandLine;
using Apex.Client;
using Apex.Contracts.Approvals;
using Spectre.Console;

namespace Apex.Cli.Commands;

/// <summary><c>apex approvals list|approve|reject</c>: the human side of approvals.</summary>
internal static class ApprovalsCommand
{
    private const string Decider = "cli";

    public static Command Create(CliConsole console) => new("approvals", "List, approve and reject the actions agents wait to take.")
    {
        List(console),
        Decide(console, approve: true),
        Decide(console, approve: false),
    };

    private static Command List(CliConsole console)
    {
        var all = new Option<bool>("--all") { Description = "Every approval, not only the pending ones." };
        var server = ServerConnection.CreateOption();
        var apiKey = ServerConnection.CreateApiKeyOption();
        var command = new Command("list", "List pending approvals, newest first.") { all, server, apiKey };
        command.SetAction((parse, cancellationToken) => ServerConnection.WithClientAsync(parse.GetValue(server)!, parse.GetValue(apiKey), console,
            client => ListAsync(client, parse.GetValue(all), console, cancellationToken), cancellationToken));
        return command;
    }

    private static Command Decide(CliConsole console, bool approve)
    {
        var id = new Argument<Guid>("id") { Description = "The approval id (see `apex approvals list`)." };
        var reason = new Option<string?>("--reason", "-r") { Description = "Why; recorded with the decision." };
        var server = ServerConnection.CreateOption();
        var apiKey = ServerConnection.CreateApiKeyOption();
        var command = approve
            ? new Command("approve", "Approve: the task runs again and may take exactly this action once.") { id, reason, server, apiKey }
            : new Command("reject", "Reject: the task fails with approval_rejected.") { id, reason, server, apiKey };
        command.SetAction((parse, cancellationToken) => ServerConnection.WithClientAsync(parse.GetValue(server)!, parse.GetValue(apiKey), console, async client =>
        {
            var decision = new DecideApprovalRequest { Reason = parse.GetValue(reason), DecidedBy = Decider };
            var approval = approve
                ? await client.ApproveAsync(parse.GetValue(id), decision, cancellationToken)
                : await client.RejectAsync(parse.GetValue(id), decision, cancellationToken);
            console.Out.MarkupLine($"Approval [grey]{approval.Id}[/] {Name(approval.Status)}; task [grey]{approval.TaskId}[/].");
            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private static async Task<int> ListAsync(ApexClient client, bool all, CliConsole console, CancellationToken cancellationToken)
    {
        // Ids are copied into `apex approvals approve`: they never wrap; the summary takes what width is left.
        var table = new Table()
            .AddColumns([.. new[] { "Approval", "Task", "Status", "Risk", "Action", "Expires" }.Select(c => new TableColumn(c).NoWrap())])
            .AddColumn("Summary");
        var rows = 0;
        string? cursor = null;
        do
        {
            var page = await client.ListApprovalsAsync(all ? null : ApprovalState.Pending, limit: 200, cursor: cursor, cancellationToken: cancellationToken);
            foreach (var approval in page.Items)
            {
                table.AddRow(
                    new Text(approval.Id.ToString()),
                    new Text(approval.TaskId.ToString()),
                    new Text(Name(approval.Status)),
                    new Text(approval.Risk),
                    new Text(approval.Tool.Length == 0 ? approval.Action : $"{approval.Action} {approval.Tool}"),
                    new Text(approval.ExpiresAt.ToString("u")),
                    new Text(approval.Summary));
                rows++;
            }
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        if (rows == 0)
        {
            console.Out.WriteLine(all ? "No approvals." : "No pending approvals.");
            return ExitCodes.Success;
        }
        console.Out.Write(table);
        return ExitCodes.Success;
    }

    private static string Name(ApprovalState state) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(state.ToString());
}
