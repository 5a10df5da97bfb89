namespace Apex.Server.Hosting;

/// <summary>HTTP API limits (configuration section <c>Apex:Api</c>).</summary>
public sealed class ApiOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Api";

    /// <summary>Largest request body; a larger one is refused with 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest page of a list endpoint.</summary>
    public int MaxPageSize { get; set; } = 500;

    /// <summary>Page size when <c>limit</c> is not given.</summary>
    public int DefaultPageSize { get; set; } = 50;

    /// <summary>Deepest JSON nesting accepted in a request body.</summary>
    public int MaxJsonDepth { get; set; } = 64;

    /// <summary>Longest a client may take to send a request's headers; slower connections are closed (slowloris).</summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long an idle keep-alive connection stays open; longer than a load balancer's idle timeout (often 60 s).</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(130);

    /// <summary>Slowest a request body may arrive, on average, once <see cref="MinRequestBodyGracePeriod"/> has passed; slower gets 408 and the connection closes. 0 turns the check off.</summary>
    public double MinRequestBodyBytesPerSecond { get; set; } = 240;

    /// <summary>Time a request body gets before <see cref="MinRequestBodyBytesPerSecond"/> applies (more than 1 s: Kestrel checks once a second).</summary>
    public TimeSpan MinRequestBodyGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most headers in one request; more gets 431.</summary>
    public int MaxRequestHeaderCount { get; set; } = 100;

    /// <summary>Most bytes of all of a request's headers together (a JWT in a header or subprotocol must fit); more gets 431.</summary>
    public int MaxRequestHeadersTotalBytes { get; set; } = 32 * 1024;

    /// <summary>Longest request line (method, path and query string, where the event streams may carry a token); longer gets 414.</summary>
    public int MaxRequestLineBytes { get; set; } = 8 * 1024;
}
