using Apex.Core.Security;
using Microsoft.Extensions.Primitives;

namespace Apex.Server.Security;

/// <summary>Scheme names and where a credential is read from.</summary>
internal static class ApexAuthentication
{
    /// <summary>The scheme every policy names: forwards to <see cref="ApiKeyScheme"/> or <see cref="JwtScheme"/>.</summary>
    public const string Scheme = "Apex";

    public const string ApiKeyScheme = "ApiKey";

    public const string JwtScheme = "Jwt";

    /// <summary>The WebSocket subprotocol a browser offers with its credential; the server selects it, never the credential.</summary>
    public const string WebSocketProtocol = "apex";

    /// <summary>Prefix of the subprotocol that carries a credential: <c>apex.bearer.&lt;key or token&gt;</c>.</summary>
    public const string WebSocketCredentialPrefix = "apex.bearer.";

    public const string QueryParameter = "access_token";

    /// <summary>
    /// The caller's credential: <c>Authorization: Bearer …</c>; on endpoints marked <see cref="UrlCredentialMetadata"/>
    /// (the WebSocket and the event streams, which browsers open without headers) also a <c>Sec-WebSocket-Protocol</c>
    /// value <c>apex.bearer.…</c> or the <c>access_token</c> query parameter. Null when none is given; an
    /// <c>Authorization</c> header of another scheme is returned whole, so it fails as malformed rather than missing.
    /// </summary>
    public static string? Credential(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization;
        if (authorization.Count > 0)
        {
            var value = authorization.ToString().Trim();
            return value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? value[7..].Trim() : value;
        }
        if (context.GetEndpoint()?.Metadata.GetMetadata<UrlCredentialMetadata>() is null)
        {
            return null;
        }
        foreach (var protocols in context.Request.Headers.SecWebSocketProtocol)
        {
            foreach (var protocol in (protocols ?? "").Split(','))
            {
                var trimmed = protocol.Trim();
                if (trimmed.StartsWith(WebSocketCredentialPrefix, StringComparison.Ordinal))
                {
                    return trimmed[WebSocketCredentialPrefix.Length..];
                }
            }
        }
        return context.Request.Query.TryGetValue(QueryParameter, out StringValues token) && token.Count > 0 ? token.ToString() : null;
    }

    /// <summary>Which handler checks <paramref name="credential"/>: JWT for anything that is not an Apex key, when JWT is on.</summary>
    public static string SchemeFor(string? credential, bool jwtEnabled) =>
        jwtEnabled && credential is not null && !ApiKeyFormat.LooksLikeKey(credential) ? JwtScheme : ApiKeyScheme;
}

/// <summary>Marks an endpoint that also takes its credential from the URL or the WebSocket subprotocol.</summary>
internal sealed class UrlCredentialMetadata
{
    public static UrlCredentialMetadata Instance { get; } = new();
}
