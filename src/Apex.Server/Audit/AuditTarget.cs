namespace Apex.Server.Audit;

/// <summary>The target of an entry about a whole request (a refused credential or role).</summary>
internal static class AuditTarget
{
    /// <summary>The method and path, never the query string (it may hold an <c>access_token</c>).</summary>
    public static string Of(HttpContext context) => $"{context.Request.Method} {context.Request.PathBase}{context.Request.Path}";
}
