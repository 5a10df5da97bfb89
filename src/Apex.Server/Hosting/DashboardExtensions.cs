using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;
using Apex.Server.Security;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Serves the dashboard (the Vite build of <c>dashboard/</c>, copied next to the server's assembly by the build) at
/// <c>/</c>: its files, and <c>index.html</c> for any other path the API does not own, so client-side routes load.
/// Without a build, <c>/</c> redirects to the API reference as before.
/// </summary>
internal static class DashboardExtensions
{
    /// <summary>Paths that belong to the API: an unknown one is a 404 there, never the dashboard's page.</summary>
    private static readonly string[] ApiPrefixes = ["/api", "/health", "/metrics", "/openapi", "/docs", "/scalar"];

    /// <summary>Whether <paramref name="path"/> belongs to the API (its answers are data, not pages).</summary>
    public static bool IsApiPath(PathString path) => ApiPrefixes.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase));

    public static WebApplication MapApexDashboard(this WebApplication app)
    {
        var root = app.Configuration["Apex:Dashboard:Path"] is { Length: > 0 } configured
            ? Path.GetFullPath(configured, app.Environment.ContentRootPath)
            : Path.Combine(AppContext.BaseDirectory, "dashboard");
        var index = Path.Combine(root, "index.html");
        if (!File.Exists(index))
        {
            app.MapGet("/", () => TypedResults.Redirect("/docs")).ExcludeFromDescription().AllowAnonymous();
            return app;
        }

        var files = new PhysicalFileProvider(root);
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = context =>
                // Vite names every asset after its content hash: a changed file is a new name.
                context.Context.Response.Headers.CacheControl = context.Context.Request.Path.StartsWithSegments("/assets")
                    ? "public, max-age=31536000, immutable"
                    : "no-cache",
        });
        // GET and HEAD only: a fallback that took every method would win over an API endpoint that routing set aside for
        // its request's content type (a POST without a body), and answer 404 where the API answers.
        app.MapFallback(async context =>
        {
            if (IsApiPath(context.Request.Path))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.Headers[HeaderNames.CacheControl] = "no-cache";
            await context.Response.SendFileAsync(files.GetFileInfo("index.html"), context.RequestAborted);
        }).WithMetadata(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head])).ExcludeFromDescription().AllowAnonymous();
        return app;
    }
}
