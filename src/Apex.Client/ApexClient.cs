using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Apex.Client;

/// <summary>
/// The .NET SDK of the Apex REST API (<c>/api/v1</c>). Thread-safe; share one instance. Every failure the server
/// reports is thrown as <see cref="ApexApiException"/>; transport failures surface as <see cref="HttpRequestException"/>.
/// </summary>
/// <remarks>
/// The caller owns <see cref="HttpClient"/>. Its <see cref="HttpClient.BaseAddress"/> is the server root, such as
/// <c>http://127.0.0.1:5000/</c>; when the server sits under a path prefix, end the address with <c>/</c>.
/// </remarks>
public sealed partial class ApexClient
{
    private const string IdempotencyKeyHeader = "Idempotency-Key";

    private readonly HttpClient _http;
    private readonly AuthenticationHeaderValue? _authorization;

    /// <summary>Creates a client over <paramref name="httpClient"/>, which must have a <see cref="HttpClient.BaseAddress"/>.</summary>
    /// <exception cref="ArgumentException">The client has no base address.</exception>
    public ApexClient(HttpClient httpClient)
        : this(httpClient, apiKey: null)
    {
    }

    /// <summary>
    /// Creates a client that sends <paramref name="apiKey"/> (an <c>apex_…</c> key, or a JWT) as <c>Authorization: Bearer</c>
    /// on every request, without changing <paramref name="httpClient"/>'s default headers.
    /// </summary>
    /// <param name="httpClient">The transport, with a <see cref="HttpClient.BaseAddress"/>.</param>
    /// <param name="apiKey">The credential; null or empty sends none (a server in open mode needs none).</param>
    /// <exception cref="ArgumentException">The client has no base address.</exception>
    public ApexClient(HttpClient httpClient, string? apiKey)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        if (httpClient.BaseAddress is null)
        {
            throw new ArgumentException("The HttpClient needs a BaseAddress, such as http://127.0.0.1:5000/.", nameof(httpClient));
        }
        _http = httpClient;
        _authorization = string.IsNullOrWhiteSpace(apiKey) ? null : new AuthenticationHeaderValue("Bearer", apiKey.Trim());
    }

    /// <summary>The server root this client talks to.</summary>
    public Uri BaseAddress => _http.BaseAddress!;

    private async Task<TResponse> SendAsync<TRequest, TResponse>(
        HttpMethod method, string path, TRequest body, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType,
        string? idempotencyKey, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body, requestType) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add(IdempotencyKeyHeader, idempotencyKey);
        }
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        return await ReadAsync(response, responseType, cancellationToken)
            ?? throw new JsonException($"{method} {path} answered {(int)response.StatusCode} with no body.");
    }

    private async Task<TResponse> GetAsync<TResponse>(string path, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        return await ReadAsync(response, responseType, cancellationToken)
            ?? throw new JsonException($"GET {path} answered {(int)response.StatusCode} with no body.");
    }

    /// <summary>POSTs an action with no body; returns the answer, or null when the server answered without a body.</summary>
    private async Task<TResponse?> PostActionAsync<TResponse>(string path, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken)
        where TResponse : class
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        return await ReadAsync(response, responseType, cancellationToken);
    }

    private async Task DeleteAsync(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, path);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
    }

    /// <summary>Every request goes out here, with the credential when there is one.</summary>
    private Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        if (_authorization is not null)
        {
            request.Headers.Authorization = _authorization;
        }
        return _http.SendAsync(request, completion, cancellationToken);
    }

    private static async Task<TResponse?> ReadAsync<TResponse>(HttpResponseMessage response, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken)
    {
        await EnsureSuccessAsync(response, cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return bytes.Length == 0 ? default : JsonSerializer.Deserialize(bytes, responseType);
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await ProblemReader.ReadAsync(response, cancellationToken);
        }
    }

    private static string Query(string path, params ReadOnlySpan<(string Name, string? Value)> parameters)
    {
        var builder = new StringBuilder(path);
        var separator = '?';
        foreach (var (name, value) in parameters)
        {
            if (value is null)
            {
                continue;
            }
            builder.Append(separator).Append(name).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }
        return builder.ToString();
    }

    private static string SnakeCase<TEnum>(TEnum value) where TEnum : struct, Enum =>
        JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    private static string? Invariant(int? value) => value?.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Id(Guid id) => id.ToString("D");
}
