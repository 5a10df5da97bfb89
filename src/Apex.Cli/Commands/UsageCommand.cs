using System.CommandLine;
using System.Globalization;
using Apex.Contracts.Usage;
using Spectre.Console;

namespace Apex.Cli.Commands;

/// <summary><c>apex usage</c>: tokens, cost and calls by model, agent or DAG, and what cascade routing saved.</summary>
internal static class UsageCommand
{
    public static Command Create(CliConsole console)
    {
        var groupBy = new Option<string>("--by", "-b") { Description = "model, agent or dag.", DefaultValueFactory = _ => "model" };
        groupBy.AcceptOnlyFromAmong("model", "agent", "dag");
        var since = new Option<DateTimeOffset?>("--from") { Description = "Start of the window (ISO 8601); since the beginning when absent." };
        var until = new Option<DateTimeOffset?>("--to") { Description = "End of the window (ISO 8601); until now when absent." };
        var server = ServerConnection.CreateOption();
        var apiKey = ServerConnection.CreateApiKeyOption();
        var command = new Command("usage", "What LLM calls spent, by model, agent or DAG, and what cascade routing saved.") { groupBy, since, until, server, apiKey };
        command.SetAction((parse, cancellationToken) => ServerConnection.WithClientAsync(parse.GetValue(server)!, parse.GetValue(apiKey), console, async client =>
        {
            var report = await client.GetUsageAsync(parse.GetValue(groupBy)!, parse.GetValue(since), parse.GetValue(until), cancellationToken);
            Render(report, console);
            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private static void Render(UsageReport report, CliConsole console)
    {
        if (report.Items.Count == 0)
        {
            console.Out.WriteLine("No usage in this window.");
            return;
        }
        var table = new Table().AddColumns(
            new TableColumn(char.ToUpperInvariant(report.GroupBy[0]) + report.GroupBy[1..]),
            new TableColumn("Input").RightAligned(), new TableColumn("Output").RightAligned(), new TableColumn("Calls").RightAligned(),
            new TableColumn("Tasks").RightAligned(), new TableColumn("Cost (USD)").RightAligned(), new TableColumn("Cascade").RightAligned());
        foreach (var line in report.Items)
        {
            table.AddRow(Row(line.Key ?? "(none)", line));
        }
        table.AddRow(Row("Total", report.Total));
        console.Out.Write(table);
        if (report.Total.Cascade is { } cascade)
        {
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Cascade routing: {cascade.Accepted} accepted, {cascade.Rejected} rejected, {cascade.ProviderErrors} provider errors; " +
                $"spent ${cascade.CostUsd:0.######} where the top models would have cost ${cascade.TopModelCostUsd:0.######} (saved ${cascade.SavedUsd:0.######})."));
        }
    }

    private static Text[] Row(string key, UsageLine line) =>
    [
        new(key),
        new(line.InputTokens.ToString("N0", CultureInfo.InvariantCulture)),
        new(line.OutputTokens.ToString("N0", CultureInfo.InvariantCulture)),
        new(line.ApiCalls.ToString("N0", CultureInfo.InvariantCulture)),
        new(line.Tasks.ToString("N0", CultureInfo.InvariantCulture)),
        new(line.CostUsd.ToString("0.######", CultureInfo.InvariantCulture)),
        new(line.Cascade is { } c ? $"{c.Accepted} ok / {c.Rejected + c.ProviderErrors} up" : "-"),
    ];
}
