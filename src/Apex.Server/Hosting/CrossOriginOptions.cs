namespace Apex.Server.Hosting;

/// <summary>Cross-origin requests from browsers (configuration section <c>Apex:Cors</c>; docs/security.md).</summary>
public sealed class CrossOriginOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Cors";

    /// <summary>
    /// Origins (<c>https://ops.example.com</c>) whose pages may call the API; <c>*</c> admits any. Empty (the default):
    /// CORS is off and browsers keep other sites' pages from reading any answer. Also admitted by the WebSocket's origin check.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>How long a browser may reuse a preflight answer.</summary>
    public TimeSpan PreflightMaxAge { get; set; } = TimeSpan.FromMinutes(10);
}
