using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Apex.Agents.Tools;

/// <summary>
/// The <c>http_fetch</c> tool: GET a public URL and return its text. The address policy is enforced where it cannot be
/// dodged: at connect time, on the addresses DNS actually returned (the socket connects to the address that was
/// checked, so a rebinding DNS answer gains nothing), and again on every redirect hop, which is followed by hand.
/// Every failure comes back as an <c>error:</c> string for the model, never as an exception.
/// </summary>
internal sealed class HttpFetcher : IDisposable
{
    public const string ToolName = "http_fetch";

    private readonly HttpFetchOptions _options;
    private readonly HashSet<string> _privateEndpoints;
    private readonly HttpClient _client;
    private readonly ILogger _logger;

    public HttpFetcher(IOptions<HttpFetchOptions> options, ILogger<HttpFetcher> logger)
    {
        _options = options.Value;
        _logger = logger;
        _privateEndpoints = new HashSet<string>(_options.AllowedPrivateEndpoints.Select(e => e.Trim().ToLowerInvariant()), StringComparer.Ordinal);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false, // a proxy would be the only address the connect check sees
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.All,
            ConnectCallback = ConnectAsync,
            ConnectTimeout = TimeSpan.FromSeconds(Math.Max(1, _options.TimeoutSeconds)),
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Apex-http_fetch", "1.0"));
    }

    /// <summary>Fetches <paramref name="url"/> for <paramref name="context"/>'s task; the result is text for the model.</summary>
    public async Task<string> FetchAsync(string url, ToolContext context, CancellationToken cancellationToken = default)
    {
        if (!Uri.TryCreate(url?.Trim(), UriKind.Absolute, out var uri))
        {
            return "error: not an absolute URL";
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.TimeoutSeconds));
        try
        {
            for (var hop = 0; ; hop++)
            {
                if (Refusal(uri) is { } refusal)
                {
                    return Blocked(uri, context, refusal);
                }
                using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                if (IsRedirect(response.StatusCode))
                {
                    if (response.Headers.Location is not { } location)
                    {
                        return $"error: HTTP {(int)response.StatusCode} redirect without a Location";
                    }
                    if (hop >= _options.MaxRedirects)
                    {
                        return $"error: more than {_options.MaxRedirects} redirects";
                    }
                    uri = location.IsAbsoluteUri ? location : new Uri(uri, location);
                    continue;
                }
                return await ReadAsync(response, timeout.Token);
            }
        }
        catch (HttpRequestException e) when (e.InnerException is FetchBlockedException blocked)
        {
            return Blocked(uri, context, blocked.Message);
        }
        catch (HttpRequestException e)
        {
            _logger.FetchFailed(uri.Host, context.TaskId, e.HttpRequestError.ToString());
            return $"error: the request failed ({e.HttpRequestError})";
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            _logger.FetchFailed(uri.Host, context.TaskId, "timeout");
            return $"error: no complete answer within {_options.TimeoutSeconds} s";
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>Why <paramref name="uri"/> may not be requested, judged on the URL alone; null when it may.</summary>
    private string? Refusal(Uri uri)
    {
        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            return $"scheme '{uri.Scheme}' is not http or https";
        }
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "URLs with credentials are not fetched";
        }
        var host = uri.IdnHost.Trim('[', ']').TrimEnd('.').ToLowerInvariant();
        if (!IsAllowedHost(host))
        {
            return "the host is not in Apex:Tools:HttpFetch:AllowedHosts";
        }
        if (IsPrivateEndpoint(host, uri.Port))
        {
            return null;
        }
        if (AddressPolicy.IsBlockedName(host))
        {
            return "the host name is internal";
        }
        return IPAddress.TryParse(host, out var address) && AddressPolicy.IsBlocked(address)
            ? "the address is internal"
            : null;
    }

    private bool IsAllowedHost(string host) =>
        _options.AllowedHosts.Count == 0
        || _options.AllowedHosts.Any(allowed => allowed.StartsWith("*.", StringComparison.Ordinal)
            ? host.EndsWith(allowed[1..], StringComparison.OrdinalIgnoreCase)
            : string.Equals(host, allowed.TrimEnd('.'), StringComparison.OrdinalIgnoreCase));

    private bool IsPrivateEndpoint(string host, int port) =>
        _privateEndpoints.Count > 0 && _privateEndpoints.Contains(string.Concat(host, ":", port.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext connection, CancellationToken cancellationToken)
    {
        var endpoint = connection.DnsEndPoint;
        var host = endpoint.Host.Trim('[', ']').TrimEnd('.').ToLowerInvariant();
        var addresses = IPAddress.TryParse(host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken);
        if (addresses.Length == 0)
        {
            throw new FetchBlockedException("the host has no address");
        }
        if (!IsPrivateEndpoint(host, endpoint.Port) && addresses.Any(AddressPolicy.IsBlocked))
        {
            throw new FetchBlockedException("the host resolves to an internal address");
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endpoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task<string> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var mediaType = response.Content.Headers.ContentType?.MediaType ?? "text/plain";
        if (!IsText(mediaType))
        {
            return $"error: HTTP {status} with content type {mediaType}, which is not text";
        }
        var buffer = new byte[_options.MaxResponseBytes + 1];
        var read = 0;
        await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken))
        {
            int n;
            while (read < buffer.Length && (n = await body.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0)
            {
                read += n;
            }
        }
        var truncated = read > _options.MaxResponseBytes;
        var text = EncodingOf(response).GetString(buffer, 0, Math.Min(read, _options.MaxResponseBytes));
        var header = $"HTTP {status} {mediaType}{(truncated ? $" (truncated to {_options.MaxResponseBytes} bytes)" : "")}";
        return string.Concat(header, "\n\n", text);
    }

    private string Blocked(Uri uri, ToolContext context, string reason)
    {
        context.Tally.CountBlocked();
        _logger.FetchBlocked(uri.Host, context.TaskId, reason);
        return $"error: blocked: {reason}";
    }

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private static bool IsText(string mediaType) =>
        mediaType.StartsWith("text/", StringComparison.OrdinalIgnoreCase)
        || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)
        || mediaType.EndsWith("+xml", StringComparison.OrdinalIgnoreCase)
        || mediaType is "application/json" or "application/xml" or "application/javascript" or "application/x-www-form-urlencoded";

    private static Encoding EncodingOf(HttpResponseMessage response)
    {
        try
        {
            return response.Content.Headers.ContentType?.CharSet is { Length: > 0 } charset
                ? Encoding.GetEncoding(charset.Trim('"'))
                : Encoding.UTF8;
        }
        catch (ArgumentException)
        {
            return Encoding.UTF8;
        }
    }
}
