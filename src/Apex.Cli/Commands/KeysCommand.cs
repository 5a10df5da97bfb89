using System.CommandLine;
using Apex.Client;
using Apex.Contracts.Keys;
using Apex.Core.Security;
using Spectre.Console;

namespace Apex.Cli.Commands;

/// <summary><c>apex keys create|list|revoke|generate</c>: API keys (docs/security.md).</summary>
internal static class KeysCommand
{
    public static Command Create(CliConsole console) => new("keys", "Create, list and revoke API keys; generate a bootstrap key.")
    {
        CreateKey(console),
        List(console),
        Revoke(console),
        Generate(console),
    };

    private static Command CreateKey(CliConsole console)
    {
        var name = new Option<string>("--name", "-n") { Description = "What the key is for, shown in listings.", Required = true };
        var roles = new Option<string[]>("--role", "-r")
        {
            Description = $"A role (repeat for several): {string.Join(", ", ApexRoles.All)}.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var expiresIn = new Option<TimeSpan?>("--expires-in") { Description = "Lifetime, such as 90.00:00:00 (90 days); never expires when absent.", HelpName = "d.hh:mm:ss" };
        var tenant = new Option<string?>("--tenant", "-t") { Description = "The tenant the key acts for; yours when absent. Another tenant needs an admin of the default tenant." };
        var server = ServerConnection.CreateOption();
        var apiKey = ServerConnection.CreateApiKeyOption();
        var command = new Command("create", "Create a key; prints it once (Apex keeps only its hash).") { name, roles, expiresIn, tenant, server, apiKey };
        command.SetAction((parse, cancellationToken) => ServerConnection.WithClientAsync(parse.GetValue(server)!, parse.GetValue(apiKey), console, async client =>
        {
            var request = new CreateApiKeyRequest
            {
                Name = parse.GetValue(name),
                Roles = parse.GetValue(roles),
                ExpiresAt = parse.GetValue(expiresIn) is { } lifetime ? DateTimeOffset.UtcNow + lifetime : null,
                Tenant = parse.GetValue(tenant),
            };
            var created = await client.CreateApiKeyAsync(request, cancellationToken);
            // The key alone on stdout, so `KEY=$(apex keys create …)` works; the rest on stderr.
            console.Out.WriteLine(created.Key);
            console.Error.MarkupLine($"Key [bold]{Markup.Escape(created.ApiKey.Name)}[/] ({string.Join(", ", created.ApiKey.Roles)}) of tenant {Markup.Escape(created.ApiKey.Tenant)}, id {created.ApiKey.Id}. " +
                "Store it now: it is not shown again.");
            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private static Command List(CliConsole console)
    {
        var server = ServerConnection.CreateOption();
        var apiKey = ServerConnection.CreateApiKeyOption();
        var command = new Command("list", "List the tenant's keys, without their secrets.") { server, apiKey };
        command.SetAction((parse, cancellationToken) => ServerConnection.WithClientAsync(parse.GetValue(server)!, parse.GetValue(apiKey), console,
            client => ListAsync(client, console, cancellationToken), cancellationToken));
        return command;
    }

    private static async Task<int> ListAsync(ApexClient client, CliConsole console, CancellationToken cancellationToken)
    {
        var keys = await client.ListApiKeysAsync(cancellationToken);
        if (keys.Items.Count == 0)
        {
            console.Out.WriteLine("No keys.");
            return ExitCodes.Success;
        }
        var table = new Table()
            .AddColumns([.. new[] { "Id", "Prefix", "Name", "Roles", "Created", "Expires", "Last used", "Revoked" }.Select(c => new TableColumn(c).NoWrap())]);
        foreach (var key in keys.Items)
        {
            table.AddRow(
                new Text(key.Id.ToString()),
                new Text($"apex_{key.Prefix}_…"),
                new Text(key.Name),
                new Text(string.Join(", ", key.Roles)),
                new Text(key.CreatedAt.ToString("u")),
                new Text(key.ExpiresAt?.ToString("u") ?? "never"),
                new Text(key.LastUsedAt?.ToString("u") ?? "-"),
                new Text(key.RevokedAt?.ToString("u") ?? "-"));
        }
        console.Out.Write(table);
        return ExitCodes.Success;
    }

    private static Command Revoke(CliConsole console)
    {
        var id = new Argument<Guid>("id") { Description = "The key id (see `apex keys list`)." };
        var server = ServerConnection.CreateOption();
        var apiKey = ServerConnection.CreateApiKeyOption();
        var command = new Command("revoke", "Revoke a key.") { id, server, apiKey };
        command.SetAction((parse, cancellationToken) => ServerConnection.WithClientAsync(parse.GetValue(server)!, parse.GetValue(apiKey), console, async client =>
        {
            var key = await client.RevokeApiKeyAsync(parse.GetValue(id), cancellationToken);
            console.Out.MarkupLine($"Key [bold]{Markup.Escape(key.Name)}[/] revoked at {key.RevokedAt:u}.");
            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private static Command Generate(CliConsole console)
    {
        var command = new Command("generate", "Print a new random key without any server: the value of Apex:Auth:BootstrapAdminKey.");
        command.SetAction(_ =>
        {
            console.Out.WriteLine(ApiKeyFormat.Generate());
            return ExitCodes.Success;
        });
        return command;
    }
}
