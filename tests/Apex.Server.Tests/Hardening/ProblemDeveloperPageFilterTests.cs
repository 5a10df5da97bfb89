using Apex.Server.Hosting;
using Apex.Testing;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Apex.Server.Tests.Hardening;

/// <summary>
/// In Development, ASP.NET Core's developer exception page sits in front of the whole pipeline. The app's filter answers
/// instead of it, with the app's own exception handler: what reaches the page is never shown.
/// </summary>
public sealed class ProblemDeveloperPageFilterTests
{
    [Fact]
    public async Task ExceptionReachingTheDeveloperPage_GetsTheAppsProblem_NotThePage()
    {
        await using var factory = new ApexAppFactory();
        using var scope = factory.Services.CreateScope();
        var filter = Assert.Single(scope.ServiceProvider.GetServices<IDeveloperPageExceptionFilter>().OfType<ProblemDeveloperPageFilter>());
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Headers.Accept = "application/json";
        context.Response.Body = new MemoryStream();
        var pageShown = false;

        await filter.HandleExceptionAsync(new ErrorContext(context, new InvalidOperationException("Kaboom at /srv/apex/Secret.cs:42")), _ =>
        {
            pageShown = true;
            return Task.CompletedTask;
        });

        Assert.False(pageShown);
        Assert.Equal(StatusCodes.Status500InternalServerError, context.Response.StatusCode);
        var body = System.Text.Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
        Assert.Contains("\"internal_error\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Kaboom", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
    }
}
