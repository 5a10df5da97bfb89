using System.CommandLine;
using Apex.Client;

namespace Apex.Cli.Commands;

/// <summary>The <c>--server</c> and <c>--api-key</c> options and the HTTP client behind them.</summary>
internal static class ServerConnection
{
    public const string DefaultServer = "http://127.0.0.1:5000";

    public const string EnvironmentVariable = "APEX_SERVER";

    public const string ApiKeyEnvironmentVariable = "APEX_API_KEY";

    /// <summary><c>--api-key</c>: sent as <c>Authorization: Bearer</c>; prefer the environment variable, which stays out of shell history.</summary>
    public static Option<string?> CreateApiKeyOption() => new("--api-key")
    {
        Description = $"API key (or token) for the server (or set ${ApiKeyEnvironmentVariable}; not needed on an open, local server).",
        HelpName = "key",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(ApiKeyEnvironmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null,
    };

    public static Option<string> CreateOption() => new("--server", "-s")
    {
        Description = $"Apex server URL (or set ${EnvironmentVariable}).",
        HelpName = "url",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : DefaultServer,
    };

    /// <summary>An HTTP client for <paramref name="server"/>, or null (after saying why) when it is not an http(s) URL.</summary>
    public static HttpClient? CreateHttpClient(string server, CliConsole console)
    {
        if (!Uri.TryCreate(server.TrimEnd('/') + "/", UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
        {
            CliErrors.Write(console, $"--server: '{server}' is not an http:// or https:// URL.");
            return null;
        }
        var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.UserAgent.ParseAdd($"apex-cli/{typeof(ServerConnection).Assembly.GetName().Version?.ToString(3) ?? "0"}");
        return http;
    }

    /// <summary>Runs <paramref name="action"/> with a client; reports API and connection failures and returns their exit code.</summary>
    public static async Task<int> WithClientAsync(string server, string? apiKey, CliConsole console, Func<ApexClient, Task<int>> action,
        CancellationToken cancellationToken)
    {
        using var http = CreateHttpClient(server, console);
        if (http is null)
        {
            return ExitCodes.InvalidInput;
        }
        try
        {
            return await action(new ApexClient(http, apiKey));
        }
        catch (ApexApiException e)
        {
            CliErrors.Write(console, e);
            return e.IsInvalidRequest ? ExitCodes.InvalidInput : ExitCodes.Failed;
        }
        catch (HttpRequestException e)
        {
            CliErrors.Write(console, $"cannot reach the Apex server at {http.BaseAddress}: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            CliErrors.Write(console, $"the Apex server at {http.BaseAddress} did not answer within {http.Timeout.TotalSeconds:0} s.");
            return ExitCodes.Failed;
        }
    }
}
