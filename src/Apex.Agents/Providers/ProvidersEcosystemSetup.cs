using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Apex.Agents.Providers;

/// <summary>
/// Adds the providers the ecosystems' usual variables describe (<c>OPENAI_API_KEY</c>, <c>ANTHROPIC_BASE_URL</c>,
/// <c>OLLAMA_HOST</c>...). They are read as configuration keys, so environment variables, appsettings and tests feed them
/// alike. Values set under <c>Apex:Providers</c> win, setting by setting.
/// </summary>
internal sealed class ProvidersEcosystemSetup(IConfiguration configuration) : IPostConfigureOptions<ProvidersOptions>
{
    public void PostConfigure(string? name, ProvidersOptions options)
    {
        options.Items = new Dictionary<string, ProviderOptions>(options.Items, StringComparer.OrdinalIgnoreCase);
        Merge(options, ProviderDefaults.OpenAIName, ProviderKind.OpenAI, configuration["OPENAI_BASE_URL"], configuration["OPENAI_API_KEY"]);
        Merge(options, ProviderDefaults.AnthropicName, ProviderKind.Anthropic, configuration["ANTHROPIC_BASE_URL"], configuration["ANTHROPIC_API_KEY"]);
        Merge(options, ProviderDefaults.OllamaName, ProviderKind.Ollama, OllamaUrl(configuration["OLLAMA_HOST"]), apiKey: null);
    }

    private static void Merge(ProvidersOptions options, string name, ProviderKind kind, string? baseUrl, string? apiKey)
    {
        if (string.IsNullOrWhiteSpace(baseUrl) && string.IsNullOrWhiteSpace(apiKey))
        {
            return;
        }
        if (!options.Items.TryGetValue(name, out var item))
        {
            item = new ProviderOptions { Kind = kind };
            options.Items[name] = item;
        }
        if (string.IsNullOrWhiteSpace(item.BaseUrl) && !string.IsNullOrWhiteSpace(baseUrl))
        {
            item.BaseUrl = baseUrl.Trim();
        }
        if (string.IsNullOrWhiteSpace(item.ApiKey) && !string.IsNullOrWhiteSpace(apiKey))
        {
            item.ApiKey = apiKey.Trim();
        }
    }

    /// <summary>OLLAMA_HOST is often a bare <c>host</c> or <c>host:port</c>, as the ollama CLI accepts.</summary>
    private static string? OllamaUrl(string? host)
    {
        if (string.IsNullOrWhiteSpace(host))
        {
            return null;
        }
        host = host.Trim();
        var hasScheme = host.Contains("://", StringComparison.Ordinal);
        if (!Uri.TryCreate(hasScheme ? host : "http://" + host, UriKind.Absolute, out var uri))
        {
            return host;
        }
        if (!hasScheme && uri.IsDefaultPort)
        {
            uri = new UriBuilder(uri) { Port = 11434 }.Uri;
        }
        return uri.GetLeftPart(UriPartial.Authority);
    }
}
