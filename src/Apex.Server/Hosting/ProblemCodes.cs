namespace Apex.Server.Hosting;

/// <summary>Codes of problems that do not come from the domain.</summary>
internal static class ProblemCodes
{
    public const string MalformedJson = "malformed_json";
    public const string PayloadTooLarge = "payload_too_large";
    public const string BadRequest = "bad_request";
    public const string NotFound = "not_found";
    public const string Internal = "internal_error";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string RequestTimeout = "request_timeout";

    /// <summary>
    /// Gives every problem a <c>code</c>, including those ASP.NET Core writes itself (an unknown route, a body over
    /// the size limit, a wrong content type), so clients can always switch on it.
    /// </summary>
    public static void Complete(ProblemDetailsContext context)
    {
        var extensions = context.ProblemDetails.Extensions;
        if (extensions.ContainsKey("code"))
        {
            return;
        }
        var code = context.ProblemDetails.Status switch
        {
            StatusCodes.Status404NotFound => NotFound,
            StatusCodes.Status413PayloadTooLarge => PayloadTooLarge,
            StatusCodes.Status405MethodNotAllowed => MethodNotAllowed,
            StatusCodes.Status415UnsupportedMediaType => UnsupportedMediaType,
            StatusCodes.Status400BadRequest => BadRequest,
            StatusCodes.Status408RequestTimeout => RequestTimeout,
            >= 500 => Internal,
            _ => $"http_{context.ProblemDetails.Status}",
        };
        extensions["code"] = code;
        context.ProblemDetails.Type ??= $"https://apex.dev/problems/{code}";
    }
}
