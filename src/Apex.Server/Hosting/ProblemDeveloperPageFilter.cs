using Microsoft.AspNetCore.Diagnostics;

namespace Apex.Server.Hosting;

/// <summary>
/// Stands in for the developer exception page (which ASP.NET Core adds in Development, outside the app's own error
/// handling): the exception gets the same problem+json as anywhere else, never its type or stack trace.
/// </summary>
internal sealed class ProblemDeveloperPageFilter(IEnumerable<IExceptionHandler> handlers) : IDeveloperPageExceptionFilter
{
    public async Task HandleExceptionAsync(ErrorContext errorContext, Func<ErrorContext, Task> next)
    {
        var context = errorContext.HttpContext;
        foreach (var handler in handlers)
        {
            if (await handler.TryHandleAsync(context, errorContext.Exception, context.RequestAborted))
            {
                return;
            }
        }
        // Never `next`: that is the page. A client that accepts no JSON gets the status alone.
        context.Response.StatusCode = StatusCodes.Status500InternalServerError;
    }
}
