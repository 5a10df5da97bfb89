using System.Text.Json;
using System.Text.RegularExpressions;
using Apex.Core.Errors;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Apex.Server.Hosting;

/// <summary>Maps every exception to problem+json with a stable <c>code</c>; never leaks a stack trace or type name.</summary>
internal sealed partial class ApexExceptionHandler(IProblemDetailsService problems, ILogger<ApexExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, code, title, detail) = exception switch
        {
            ApexValidationException e => (StatusCodes.Status422UnprocessableEntity, e.Code, "The request is invalid.", e.Message),
            ApexNotFoundException e => (StatusCodes.Status404NotFound, e.Code, "Not found.", e.Message),
            ApexForbiddenException e => (StatusCodes.Status403Forbidden, e.Code, "Forbidden.", e.Message),
            ApexConflictException e => (StatusCodes.Status409Conflict, e.Code, "The request conflicts with the current state.", e.Message),
            ApexCapacityException e => (StatusCodes.Status429TooManyRequests, e.Code, "Too many requests.", e.Message),
            ApexUnavailableException e => (StatusCodes.Status503ServiceUnavailable, e.Code, "The service is temporarily unavailable.", e.Message),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => (StatusCodes.Status413PayloadTooLarge,
                ProblemCodes.PayloadTooLarge, "The request body is too large.", "The body exceeds the limit (setting Apex:Api:MaxRequestBodyBytes)."),
            BadHttpRequestException { StatusCode: StatusCodes.Status408RequestTimeout } => (StatusCodes.Status408RequestTimeout,
                ProblemCodes.RequestTimeout, "The request body arrived too slowly.",
                "The body arrived slower than the server accepts (setting Apex:Api:MinRequestBodyBytesPerSecond)."),
            BadHttpRequestException { InnerException: JsonException json } => (StatusCodes.Status400BadRequest, ProblemCodes.MalformedJson,
                "The request body is not valid JSON for this endpoint.", JsonMessage(json)),
            BadHttpRequestException e => (e.StatusCode, ProblemCodes.BadRequest, "The request is malformed.", ParameterMessage(e.Message)),
            JsonException json => (StatusCodes.Status400BadRequest, ProblemCodes.MalformedJson, "The request body is not valid JSON for this endpoint.", JsonMessage(json)),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested => (499, "client_closed_request", "The client went away.", null),
            _ => (StatusCodes.Status500InternalServerError, ProblemCodes.Internal, "An unexpected error occurred.", "The error was logged; quote the trace id when reporting it."),
        };

        if (exception is ApexUnavailableException unavailable)
        {
            // Expected while a dependency is down, hundreds a second under load: one line each, no stack trace (the
            // store logs the failure's cause once per failed commit).
            LogUnavailable(httpContext.Request.Method, httpContext.Request.Path, unavailable.Message);
        }
        else if (status >= 500)
        {
            LogUnhandled(exception, httpContext.Request.Method, httpContext.Request.Path);
        }
        if (httpContext.Response.HasStarted)
        {
            return true;
        }
        httpContext.Response.StatusCode = status;
        if (exception is ApexCapacityException capacity)
        {
            httpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(capacity.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else if (status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = "2";
        }

        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail, Type = $"https://apex.dev/problems/{code}" };
        problem.Extensions["code"] = code;
        if (exception is ApexCapacityException { Quota: { } quota })
        {
            problem.Extensions["quota"] = quota;
        }
        if (exception is ApexValidationException validation)
        {
            if (validation.Errors.Count > 0)
            {
                problem.Extensions["errors"] = validation.Errors;
            }
            if (validation.Nodes.Count > 0)
            {
                problem.Extensions["nodes"] = validation.Nodes;
            }
        }
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    /// <summary>
    /// ASP.NET Core's binding messages name the handler's parameter with its .NET type (<c>"int? limit"</c>,
    /// <c>"CreateTaskRequest request"</c>): the client gets the name alone.
    /// </summary>
    private static string ParameterMessage(string message) => ParameterDeclaration().Replace(message, "parameter \"$1\"");

    [GeneratedRegex("parameter \"[^\"]*?(\\w+)\"")]
    private static partial Regex ParameterDeclaration();

    private static string JsonMessage(JsonException json) =>
        json.Path is null ? "The body could not be parsed." : $"Invalid value at {json.Path} (line {json.LineNumber + 1}).";

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Unhandled error on {Method} {Path}")]
    private partial void LogUnhandled(Exception exception, string method, string path);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Answered 503 to {Method} {Path}: {Reason}")]
    private partial void LogUnavailable(string method, string path, string reason);
}
