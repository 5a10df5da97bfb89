namespace Apex.Server.Hosting;

/// <summary>
/// Headers on every answer, set as it starts (so they survive an error handler clearing the response): <c>nosniff</c>,
/// no framing, no referrer, a Content-Security-Policy by kind of path, and <c>no-store</c> on errors.
/// </summary>
internal static class SecurityHeaders
{
    /// <summary>
    /// The dashboard: its own scripts only; its own styles, plus inline ones (a library writing <c>style</c> attributes
    /// or elements as markup: no script can come of it); fetch, <c>EventSource</c> and the WebSocket to its own origin
    /// (<c>'self'</c> covers <c>ws:</c>/<c>wss:</c> of it).
    /// </summary>
    public const string DashboardPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>API answers are data: nothing in them may load or run, even if a browser is made to render one.</summary>
    public const string ApiPolicy = "default-src 'none'; frame-ancestors 'none'";

    /// <summary>The API reference (<c>/docs</c>, Scalar) runs inline scripts of its own: only framing is restricted there.</summary>
    public const string DocsPolicy = "frame-ancestors 'none'";

    public static Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        context.Response.OnStarting(static state =>
        {
            Apply((HttpContext)state);
            return Task.CompletedTask;
        }, context);
        return next(context);
    }

    private static void Apply(HttpContext context)
    {
        var headers = context.Response.Headers;
        var path = context.Request.Path;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ContentSecurityPolicy = path.StartsWithSegments("/docs", StringComparison.OrdinalIgnoreCase)
            || path.StartsWithSegments("/scalar", StringComparison.OrdinalIgnoreCase)
            ? DocsPolicy
            : DashboardExtensions.IsApiPath(path) ? ApiPolicy : DashboardPolicy;
        if (context.Response.StatusCode >= StatusCodes.Status400BadRequest)
        {
            // An error is about this request (and may name its caller's mistake): no cache keeps it.
            headers.CacheControl = "no-store";
        }
    }
}
