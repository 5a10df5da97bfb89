using System.CommandLine;
using System.Globalization;
using Apex.Client;
using Apex.Contracts.Tenants;
using Spectre.Console;

namespace Apex.Cli.Commands;

/// <summary><c>apex tenants show|list|set-quota|suspend|resume</c>: tenants' state and quotas (docs/quotas.md).</summary>
internal static class TenantsCommand
{
    public static Command Create(CliConsole console) => new("tenants", "Show and list tenants; set their quotas; suspend and resume them.")
    {
        Show(console),
        List(console),
        SetQuota(console),
        StateChange(console, "suspend", "Refuse every key and token of the tenant with 401.", (c, t, ct) => c.SuspendTenantAsync(t, ct)),
        StateChange(console, "resume", "Accept the tenant's keys and tokens again.", (c, t, ct) => c.ResumeTenantAsync(t, ct)),
    };

    private static Command Show(CliConsole console)
    {
        var tenant = new Argument<string>("tenant") { Description = "Tenant id (an admin sees its own tenant; a platform admin any)." };
        var server = ServerConnection.CreateOption();
        var apiKey = ServerConnection.CreateApiKeyOption();
        var command = new Command("show", "A tenant's state, quotas in force and current usage.") { tenant, server, apiKey };
        command.SetAction((parse, cancellationToken) => ServerConnection.WithClientAsync(parse.GetValue(server)!, parse.GetValue(apiKey), console, async client =>
        {
            Write(console, await client.GetTenantAsync(parse.GetValue(tenant)!, cancellationToken));
            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private static Command List(CliConsole console)
    {
        var server = ServerConnection.CreateOption();
        var apiKey = ServerConnection.CreateApiKeyOption();
        var command = new Command("list", "Tenants with a state or quota of their own (platform admin).") { server, apiKey };
        command.SetAction((parse, cancellationToken) => ServerConnection.WithClientAsync(parse.GetValue(server)!, parse.GetValue(apiKey), console, async client =>
        {
            var tenants = await client.ListTenantsAsync(cancellationToken);
            if (tenants.Items.Count == 0)
            {
                console.Out.WriteLine("No tenant has a state or quota of its own: every tenant is active with the default quotas.");
                return ExitCodes.Success;
            }
            var table = new Table().AddColumns([.. new[] { "Tenant", "State", "Requests/s", "Burst", "Queued", "Running", "$/day", "Updated" }
                .Select(c => new TableColumn(c).NoWrap())]);
            foreach (var t in tenants.Items)
            {
                table.AddRow(t.Tenant, t.State, Limit(t.Quotas.RequestsPerSecond), Limit(t.Quotas.RequestBurst), Limit(t.Quotas.QueuedTasks),
                    Limit(t.Quotas.ConcurrentRuns), Limit(t.Quotas.CostPerDayUsd), t.UpdatedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "-");
            }
            console.Out.Write(table);
            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private static Command SetQuota(CliConsole console)
    {
        var tenant = new Argument<string>("tenant") { Description = "Tenant id." };
        var rps = new Option<double?>("--requests-per-second") { Description = "Requests a second, all its keys and tokens together." };
        var burst = new Option<int?>("--request-burst") { Description = "Requests at once above the rate (0: one second's worth)." };
        var queued = new Option<int?>("--queued-tasks") { Description = "Tasks pending or queued at once." };
        var runs = new Option<int?>("--concurrent-runs") { Description = "Tasks running at once." };
        var cost = new Option<decimal?>("--cost-per-day") { Description = "US dollars of LLM calls per UTC day." };
        var server = ServerConnection.CreateOption();
        var apiKey = ServerConnection.CreateApiKeyOption();
        var command = new Command("set-quota",
            "Replace the tenant's quota overrides (platform admin). An option left out takes the default from settings; 0 is unlimited.")
        {
            tenant, rps, burst, queued, runs, cost, server, apiKey,
        };
        command.SetAction((parse, cancellationToken) => ServerConnection.WithClientAsync(parse.GetValue(server)!, parse.GetValue(apiKey), console, async client =>
        {
            var quotas = new TenantQuotaValues
            {
                RequestsPerSecond = parse.GetValue(rps),
                RequestBurst = parse.GetValue(burst),
                QueuedTasks = parse.GetValue(queued),
                ConcurrentRuns = parse.GetValue(runs),
                CostPerDayUsd = parse.GetValue(cost),
            };
            Write(console, await client.SetTenantQuotasAsync(parse.GetValue(tenant)!, quotas, cancellationToken));
            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private static Command StateChange(CliConsole console, string name, string description, Func<ApexClient, string, CancellationToken, Task<TenantResponse>> change)
    {
        var tenant = new Argument<string>("tenant") { Description = "Tenant id." };
        var server = ServerConnection.CreateOption();
        var apiKey = ServerConnection.CreateApiKeyOption();
        var command = new Command(name, description + " (platform admin)") { tenant, server, apiKey };
        command.SetAction((parse, cancellationToken) => ServerConnection.WithClientAsync(parse.GetValue(server)!, parse.GetValue(apiKey), console, async client =>
        {
            var changed = await change(client, parse.GetValue(tenant)!, cancellationToken);
            console.Out.MarkupLine($"Tenant [bold]{Markup.Escape(changed.Tenant)}[/] is {changed.State}.");
            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private static void Write(CliConsole console, TenantResponse tenant)
    {
        var table = new Table().AddColumns("Quota", "In force", "Override");
        table.AddRow("requests/s", Limit(tenant.Quotas.RequestsPerSecond), Override(tenant.Overrides.RequestsPerSecond));
        table.AddRow("request burst", Limit(tenant.Quotas.RequestBurst), Override(tenant.Overrides.RequestBurst));
        table.AddRow("queued tasks", Limit(tenant.Quotas.QueuedTasks), Override(tenant.Overrides.QueuedTasks));
        table.AddRow("concurrent runs", Limit(tenant.Quotas.ConcurrentRuns), Override(tenant.Overrides.ConcurrentRuns));
        table.AddRow("cost per day ($)", Limit(tenant.Quotas.CostPerDayUsd), Override(tenant.Overrides.CostPerDayUsd));
        console.Out.MarkupLine($"Tenant [bold]{Markup.Escape(tenant.Tenant)}[/]: {tenant.State}");
        console.Out.Write(table);
        if (tenant.Usage is { } usage)
        {
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Now: {usage.Queued} queued, {usage.Running} running, ${usage.CostTodayUsd:0.######} spent today (UTC)."));
        }
    }

    private static string Limit<T>(T? value) where T : struct, IFormattable =>
        value?.ToString(null, CultureInfo.InvariantCulture) ?? "unlimited";

    private static string Override<T>(T? value) where T : struct, IFormattable =>
        value?.ToString(null, CultureInfo.InvariantCulture) ?? "default";
}
