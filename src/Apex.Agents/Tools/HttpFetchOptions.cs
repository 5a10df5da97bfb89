namespace Apex.Agents.Tools;

/// <summary>The <c>http_fetch</c> tool (configuration section <c>Apex:Tools:HttpFetch</c>).</summary>
public sealed class HttpFetchOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Tools:HttpFetch";

    /// <summary>
    /// Hosts the tool may fetch from: <c>example.com</c> exactly, <c>*.example.com</c> its subdomains. Empty allows any
    /// public host. Internal addresses stay blocked either way.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>
    /// Exact <c>host:port</c> pairs that may be reached although they resolve to an internal address (a sidecar, a
    /// test server). Empty by default; each entry is a deliberate hole in the address policy.
    /// </summary>
    public List<string> AllowedPrivateEndpoints { get; set; } = [];

    /// <summary>Most bytes of a response body read; the text is cut there and marked as truncated.</summary>
    public int MaxResponseBytes { get; set; } = 256 * 1024;

    /// <summary>Longest a fetch may take, redirects included.</summary>
    public int TimeoutSeconds { get; set; } = 15;

    /// <summary>Most redirects followed; each hop is checked like the first URL.</summary>
    public int MaxRedirects { get; set; } = 3;
}
