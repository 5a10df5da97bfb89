using System.CommandLine;
using Apex.Client;
using Spectre.Console;

namespace Apex.Cli.Commands;

/// <summary><c>apex audit list|verify</c>: the audit log of the caller's tenant and its chain check (docs/audit.md).</summary>
internal static class AuditCommand
{
    public static Command Create(CliConsole console) => new("audit", "Read the audit log and verify its hash chain (admin role).")
    {
        List(console),
        Verify(console),
    };

    private static Command List(CliConsole console)
    {
        var action = new Option<string?>("--action", "-a") { Description = "Only this action, such as auth.failed or key.created." };
        var since = new Option<DateTimeOffset?>("--since") { Description = "Only entries at or after this time (ISO 8601)." };
        var limit = new Option<int?>("--limit", "-n") { Description = "Entries to show (the server's page size when absent)." };
        var cursor = new Option<string?>("--cursor") { Description = "Continue after a previous listing (it prints the cursor)." };
        var server = ServerConnection.CreateOption();
        var apiKey = ServerConnection.CreateApiKeyOption();
        var command = new Command("list", "List the tenant's audit entries, newest first.") { action, since, limit, cursor, server, apiKey };
        command.SetAction((parse, cancellationToken) => ServerConnection.WithClientAsync(parse.GetValue(server)!, parse.GetValue(apiKey), console,
            client => ListAsync(client, console, parse.GetValue(action), parse.GetValue(since), parse.GetValue(limit), parse.GetValue(cursor), cancellationToken),
            cancellationToken));
        return command;
    }

    private static async Task<int> ListAsync(ApexClient client, CliConsole console, string? action, DateTimeOffset? since, int? limit, string? cursor,
        CancellationToken cancellationToken)
    {
        var page = await client.ListAuditAsync(action, since, limit: limit, cursor: cursor, cancellationToken: cancellationToken);
        if (page.Items.Count == 0)
        {
            console.Out.WriteLine("No audit entries.");
            return ExitCodes.Success;
        }
        var table = new Table()
            .AddColumns([.. new[] { "Seq", "Time", "Actor", "Action", "Outcome", "Target" }.Select(c => new TableColumn(c).NoWrap())])
            .AddColumn("Detail");
        foreach (var entry in page.Items)
        {
            table.AddRow(
                new Text(entry.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new Text(entry.Time.ToString("u")),
                new Text(entry.Actor),
                new Text(entry.Action),
                new Text(entry.Outcome),
                new Text(entry.Target),
                new Text(entry.Detail ?? ""));
        }
        console.Out.Write(table);
        if (page.NextCursor is { } next)
        {
            console.Error.WriteLine($"More entries: --cursor {next}");
        }
        return ExitCodes.Success;
    }

    private static Command Verify(CliConsole console)
    {
        var server = ServerConnection.CreateOption();
        var apiKey = ServerConnection.CreateApiKeyOption();
        var command = new Command("verify", "Walk the whole hash chain; exits 1 when an entry is missing or changed.") { server, apiKey };
        command.SetAction((parse, cancellationToken) => ServerConnection.WithClientAsync(parse.GetValue(server)!, parse.GetValue(apiKey), console, async client =>
        {
            var result = await client.VerifyAuditAsync(cancellationToken);
            if (result.Valid)
            {
                console.Out.MarkupLine($"Audit chain [green]valid[/]: {result.Checked} entries checked" +
                    (result.HeadHash is { } head ? $", head hash {head}." : "."));
                return ExitCodes.Success;
            }
            console.Error.MarkupLine($"Audit chain [red]broken[/] at entry {result.FirstInvalidSeq}: {Markup.Escape(result.Reason ?? "")} " +
                $"({result.Checked} entries intact before it).");
            return ExitCodes.Failed;
        }, cancellationToken));
        return command;
    }
}
