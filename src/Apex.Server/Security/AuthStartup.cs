using System.Net;
using Apex.Core.Security;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Apex.Server.Security;

/// <summary>
/// Decides, once the server is bound (its real addresses known) and the store migrated, whether this server runs open,
/// requires credentials, or refuses to start (docs/security.md, "Modes").
/// </summary>
internal sealed partial class AuthStartup(IServer server, IApiKeyStore keys, AuthState state, IOptions<AuthOptions> options, ILogger<AuthStartup> logger)
    : IHostedLifecycleService
{
    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var sources = new List<string>();
        if (settings.BootstrapAdminKey is not null)
        {
            sources.Add("Apex:Auth:BootstrapAdminKey");
        }
        if (settings.Jwt.Enabled)
        {
            sources.Add("Apex:Auth:Jwt");
        }
        if (await keys.AnyApiKeyAsync(cancellationToken))
        {
            sources.Add("API keys in the store");
        }
        if (sources.Count > 0)
        {
            LogRequired(settings.Mode, string.Join(", ", sources));
            return;
        }
        if (settings.Mode == AuthMode.Required)
        {
            throw new InvalidOperationException(
                "Apex:Auth:Mode is Required but no credential can ever be accepted: set Apex:Auth:BootstrapAdminKey (make one with " +
                "`apex keys generate`) or configure Apex:Auth:Jwt. See docs/security.md.");
        }
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var exposed = addresses.Where(a => !IsLocal(a)).ToList();
        if (exposed.Count > 0)
        {
            throw new InvalidOperationException(
                $"Apex refuses to start without authentication on a non-loopback address ({string.Join(", ", exposed)}). Set " +
                "Apex:Auth:BootstrapAdminKey (make one with `apex keys generate`), configure Apex:Auth:Jwt, or bind to 127.0.0.1 only. " +
                "See docs/security.md.");
        }
        state.Open();
        LogOpen(string.Join(", ", addresses));
    }

    /// <summary>Loopback, a Unix socket, or an in-memory test server (no address at all).</summary>
    internal static bool IsLocal(string address)
    {
        var binding = BindingAddress.Parse(address);
        if (binding.IsUnixPipe || string.Equals(binding.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        return IPAddress.TryParse(binding.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 4100, Level = LogLevel.Warning,
        Message = "Apex runs OPEN: no authentication, every caller is an admin of the default tenant (loopback only: {Addresses}). Create a key (`apex keys create --role admin`) to require one; see docs/security.md.")]
    private partial void LogOpen(string addresses);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Authentication required (mode {Mode}; credentials from {Sources}).")]
    private partial void LogRequired(AuthMode mode, string sources);
}
