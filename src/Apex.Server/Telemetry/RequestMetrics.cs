using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;

namespace Apex.Server.Telemetry;

/// <summary>
/// The seed's request metrics (meter <c>Apex.Server</c>): <c>apex_request_duration</c>, a histogram in seconds tagged
/// <c>method</c> and <c>route</c> (the endpoint's template, <c>unmatched</c> without one), and <c>apex_requests_total</c>
/// tagged <c>method</c>, <c>route</c> and <c>status</c>. WebSocket and server-sent-event streams are left out: they last
/// as long as their client stays, and would drown the latency of everything else. So are scrapes of the metrics endpoint.
/// </summary>
internal sealed class RequestMetrics
{
    private const string Unmatched = "unmatched";

    private static readonly double[] DurationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10];

    // Tag values are strings made once: recording a request allocates nothing.
    private static readonly string[] StatusCodes = [.. Enumerable.Range(0, 600).Select(code => code.ToString(CultureInfo.InvariantCulture))];

    private readonly Histogram<double> _duration;
    private readonly Counter<long> _requests;
    private readonly PathString _metricsPath;

    public RequestMetrics(IMeterFactory meterFactory, PathString metricsPath)
    {
        var meter = meterFactory.Create(ServerMetrics.MeterName);
        // No unit: the Prometheus exporter would append one to the name, and the seed's rules read apex_request_duration.
        _duration = meter.CreateHistogram("apex.request.duration", unit: null, "Time to answer an HTTP request, in seconds.", tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _requests = meter.CreateCounter<long>("apex.requests", description: "HTTP requests answered, by method, route and status.");
        _metricsPath = metricsPath;
    }

    /// <summary>Times the rest of the pipeline; registered first, so it sees the status the exception handler chose.</summary>
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (context.WebSockets.IsWebSocketRequest || context.Request.Path.Equals(_metricsPath, StringComparison.OrdinalIgnoreCase))
        {
            await next(context);
            return;
        }
        var started = Stopwatch.GetTimestamp();
        var failed = true;
        try
        {
            await next(context);
            failed = false;
        }
        finally
        {
            if (context.Response.ContentType?.StartsWith("text/event-stream", StringComparison.Ordinal) != true)
            {
                // An exception that got past the exception handler becomes a 500.
                Record(context, failed ? StatusCodes[500] : Status(context.Response.StatusCode), Stopwatch.GetElapsedTime(started));
            }
        }
    }

    private void Record(HttpContext context, string status, TimeSpan elapsed)
    {
        var method = Method(context.Request.Method);
        // The exception handler clears the endpoint before it writes its answer; its feature keeps the one that failed.
        var endpoint = context.GetEndpoint() ?? context.Features.Get<IExceptionHandlerFeature>()?.Endpoint;
        var route = (endpoint as RouteEndpoint)?.RoutePattern.RawText ?? Unmatched;
        _duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("method", method), new KeyValuePair<string, object?>("route", route));
        _requests.Add(1, new KeyValuePair<string, object?>("method", method), new KeyValuePair<string, object?>("route", route),
            new KeyValuePair<string, object?>("status", status));
    }

    private static string Status(int code) => code is >= 0 and < 600 ? StatusCodes[code] : code.ToString(CultureInfo.InvariantCulture);

    // A method outside the standard set is one label value, so a client cannot create series at will.
    private static string Method(string method) => method switch
    {
        _ when HttpMethods.IsGet(method) => HttpMethods.Get,
        _ when HttpMethods.IsPost(method) => HttpMethods.Post,
        _ when HttpMethods.IsPut(method) => HttpMethods.Put,
        _ when HttpMethods.IsDelete(method) => HttpMethods.Delete,
        _ when HttpMethods.IsPatch(method) => HttpMethods.Patch,
        _ when HttpMethods.IsHead(method) => HttpMethods.Head,
        _ when HttpMethods.IsOptions(method) => HttpMethods.Options,
        _ => "OTHER",
    };
}
