using System.Net.WebSockets;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Apex.Server.Security;

namespace Apex.Server.Live;

/// <summary>The WebSocket endpoint <c>GET /api/v1/ws</c> (docs/websocket.md).</summary>
internal static class LiveApi
{
    public const string Path = "/api/v1/ws";

    public static IEndpointConventionBuilder MapLiveApi(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<LiveOptions>>().Value;
        app.Use((context, next) =>
        {
            // Before the WebSocket middleware takes the upgrade: the socket is made on a stream that can batch writes.
            if (context.Request.Path.Equals(Path, StringComparison.Ordinal) && context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
            {
                context.Features.Set<IHttpUpgradeFeature>(new CoalescingUpgradeFeature(upgrade));
            }
            return next(context);
        });
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = options.KeepAliveInterval, KeepAliveTimeout = options.KeepAliveTimeout });
        return app.MapGet(Path, AcceptAsync).WithTags("Live").WithName("LiveEvents")
            .WithSummary("WebSocket: subscribe to task, DAG, agent and approval events, with replay from a seq (docs/websocket.md).")
            .RequireAuthorization(ApexPolicies.Read).AcceptUrlCredential();
    }

    /// <summary>
    /// The one place an upgrade is allowed or refused, before any socket exists. The credential was checked before this
    /// handler ran (the endpoint's policy: 401/403 problem+json, never a socket); what is left is the origin.
    /// </summary>
    internal static IResult? AuthorizeUpgrade(HttpContext context, LiveOptions options) =>
        OriginAllowed(context.Request, options)
            ? null
            : Problem(StatusCodes.Status403Forbidden, "origin_not_allowed", "This origin may not open a WebSocket here (Apex:WebSocket:AllowedOrigins).");

    private static async Task AcceptAsync(HttpContext context, IOptions<LiveOptions> options, LiveConnections connections,
        LiveServices services, IHostApplicationLifetime lifetime)
    {
        var limits = options.Value;
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await Problem(StatusCodes.Status400BadRequest, "websocket_required", "This endpoint speaks WebSocket only (see docs/websocket.md).").ExecuteAsync(context);
            return;
        }
        if (AuthorizeUpgrade(context, limits) is { } refused)
        {
            await refused.ExecuteAsync(context);
            return;
        }
        if (!connections.TryAdd(limits.MaxConnections))
        {
            context.Response.Headers.RetryAfter = "5";
            await Problem(StatusCodes.Status503ServiceUnavailable, "ws_connection_limit",
                $"This server holds its maximum of {limits.MaxConnections} WebSocket connections (Apex:WebSocket:MaxConnections).").ExecuteAsync(context);
            return;
        }
        var reason = "accept_failed";
        try
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                // A browser that sent its credential as a subprotocol also offers `apex`: selecting it completes the
                // handshake without ever echoing the credential.
                SubProtocol = context.WebSockets.WebSocketRequestedProtocols.Contains(ApexAuthentication.WebSocketProtocol)
                    ? ApexAuthentication.WebSocketProtocol
                    : null,
                KeepAliveInterval = limits.KeepAliveInterval,
                KeepAliveTimeout = limits.KeepAliveTimeout,
            });
            var stream = (context.Features.Get<IHttpUpgradeFeature>() as CoalescingUpgradeFeature)?.Stream;
            var connection = new LiveConnection(socket, stream, services, context.TraceIdentifier, context.User.TenantId());
            reason = await connection.RunAsync(lifetime.ApplicationStopping);
        }
        finally
        {
            connections.Remove(reason);
        }
    }

    private static bool OriginAllowed(HttpRequest request, LiveOptions options)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return true; // Not a browser: the origin check protects browsers' users from other sites, nothing else.
        }
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri))
        {
            return false;
        }
        if (string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        var trimmed = origin.TrimEnd('/');
        return options.AllowedOrigins.Any(a => a == "*" || string.Equals(a.TrimEnd('/'), trimmed, StringComparison.OrdinalIgnoreCase));
    }

    private static IResult Problem(int status, string code, string detail) =>
        TypedResults.Problem(detail, statusCode: status, type: $"https://apex.dev/problems/{code}", extensions: new Dictionary<string, object?> { ["code"] = code });
}
