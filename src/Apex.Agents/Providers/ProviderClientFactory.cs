using System.ClientModel;
using System.ClientModel.Primitives;
using Anthropic;
using Microsoft.Extensions.AI;
using OllamaSharp;
using OpenAI;
using OpenAI.Chat;

namespace Apex.Agents.Providers;

/// <summary>
/// Builds the provider's own .NET client for one model, seen as an <see cref="IChatClient"/>, on the provider's named
/// <see cref="HttpClient"/>. The SDKs' own retries are off: <see cref="ProviderResilience"/> retries, once.
/// </summary>
internal sealed class ProviderClientFactory(IHttpClientFactory httpClients)
{
    /// <summary>OpenAI-compatible servers that need no key still get a bearer header; this is its value.</summary>
    private const string NoApiKey = "no-api-key";

    public IChatClient Create(string provider, ProviderKind kind, ProviderOptions options, string model)
    {
        var http = httpClients.CreateClient(ProviderHttpClients.ClientName(provider));
        var baseUrl = string.IsNullOrWhiteSpace(options.BaseUrl) ? ProviderDefaults.BaseUrl(kind) : options.BaseUrl;
        var timeout = TimeSpan.FromSeconds(options.TimeoutSeconds);
        return kind switch
        {
            ProviderKind.OpenAI => OpenAI(http, baseUrl, options.ApiKey, timeout, model),
            ProviderKind.Anthropic => new AnthropicClient
            {
                BaseUrl = baseUrl.TrimEnd('/'),
                ApiKey = options.ApiKey,
                HttpClient = http,
                MaxRetries = 0,
                Timeout = timeout,
            }.AsIChatClient(model),
            ProviderKind.Ollama => Ollama(http, baseUrl, model),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not an HTTP provider."),
        };
    }

    private static IChatClient OpenAI(HttpClient http, string baseUrl, string? apiKey, TimeSpan timeout, string model)
    {
        var options = new OpenAIClientOptions
        {
            Endpoint = new Uri(baseUrl),
            Transport = new HttpClientPipelineTransport(http),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = timeout,
        };
        var key = new ApiKeyCredential(string.IsNullOrWhiteSpace(apiKey) ? NoApiKey : apiKey);
        return new ChatClient(model, key, options).AsIChatClient();
    }

    private static IChatClient Ollama(HttpClient http, string baseUrl, string model)
    {
        http.BaseAddress = new Uri(baseUrl);
        return new OllamaApiClient(http, model);
    }
}
