using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Apex.Server.Tests.Hardening;

/// <summary>The app's own endpoint list, so a test covers every route, including ones added after it was written.</summary>
internal static partial class ApiRoutes
{
    public static IReadOnlyList<RouteEndpoint> All(IServiceProvider services) =>
        [.. services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()];

    /// <summary>Every (method, endpoint) that reads a JSON request body.</summary>
    public static IReadOnlyList<(string Method, RouteEndpoint Endpoint)> JsonBody(IServiceProvider services) =>
        [.. All(services)
            .Where(e => e.Metadata.GetMetadata<IAcceptsMetadata>()?.ContentTypes.Contains("application/json") == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (m, e)))];

    /// <summary>The endpoint's URL with a new guid for every route parameter.</summary>
    public static string Url(RouteEndpoint endpoint) => Parameter().Replace(endpoint.RoutePattern.RawText!, _ => Guid.NewGuid().ToString());

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex Parameter();
}
