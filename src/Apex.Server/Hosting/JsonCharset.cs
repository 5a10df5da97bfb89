using System.Text;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;

namespace Apex.Server.Hosting;

/// <summary>
/// Refuses a JSON body whose <c>charset</c> names no known encoding with 415 problem+json: ASP.NET Core's JSON reader
/// throws on it an exception no handler can tell from a bug (it would be a 500).
/// </summary>
internal static class JsonCharset
{
    public static Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        // Most requests name no charset (GETs have no Content-Type; clients send plain application/json): no parse.
        var contentType = context.Request.ContentType;
        if (contentType is null || !contentType.Contains("charset", StringComparison.OrdinalIgnoreCase)
            || !MediaTypeHeaderValue.TryParse(contentType, out var media) || !media.Charset.HasValue
            || !(media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase))
            || Known(HeaderUtilities.RemoveQuotes(media.Charset).ToString()))
        {
            return next(context);
        }
        context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status415UnsupportedMediaType,
            Title = "The request body's media type is not supported.",
            Detail = "The Content-Type names an unknown charset: send JSON as UTF-8.",
            Type = $"https://apex.dev/problems/{ProblemCodes.UnsupportedMediaType}",
        };
        problem.Extensions["code"] = ProblemCodes.UnsupportedMediaType;
        return context.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }).AsTask();
    }

    private static bool Known(string charset)
    {
        try
        {
            _ = Encoding.GetEncoding(charset);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
