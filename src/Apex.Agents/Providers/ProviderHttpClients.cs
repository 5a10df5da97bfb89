using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace Apex.Agents.Providers;

/// <summary>
/// Configures the named <see cref="HttpClient"/> of each provider: its timeout, the response recorder, pooled
/// connections recycled so long-lived SDK clients still see DNS changes, and no header values in HTTP logs.
/// </summary>
internal sealed class ProviderHttpClients(IOptions<ProvidersOptions> providers, TimeProvider timeProvider) : IConfigureNamedOptions<HttpClientFactoryOptions>
{
    private const string Prefix = "Apex.Providers.";

    public static string ClientName(string provider) => Prefix + provider;

    public void Configure(string? name, HttpClientFactoryOptions options)
    {
        if (name is null || !name.StartsWith(Prefix, StringComparison.Ordinal)
            || !providers.Value.Items.TryGetValue(name[Prefix.Length..], out var provider))
        {
            return;
        }
        options.ShouldRedactHeaderValue = _ => true;
        options.HttpClientActions.Add(client => client.Timeout = TimeSpan.FromSeconds(provider.TimeoutSeconds));
        options.HttpMessageHandlerBuilderActions.Add(builder =>
        {
            builder.PrimaryHandler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) };
            builder.AdditionalHandlers.Add(new ProviderResponseRecorder(timeProvider));
        });
    }

    public void Configure(HttpClientFactoryOptions options) => Configure(Options.DefaultName, options);
}
