using System.Reflection;
using Apex.Agents.Runtime;
using Apex.Engine.Telemetry;
using Apex.ServiceDefaults.Health;
using Apex.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>What every Apex host has: tracing (OpenTelemetry), structured console logs and readiness probe settings.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>
    /// The <see cref="HealthOptions"/> of the readiness probes. Console logs as JSON lines (or text, <see cref="LoggingOptions.Format"/>) with scopes, so each line carries the
    /// current trace and span ids and, while an attempt runs, its task id, DAG and attempt. Spans, when recorded (an OTLP
    /// endpoint is set, or <see cref="TracingOptions.Enabled"/>), of Apex's task lifecycle and LLM and tool calls, ASP.NET
    /// Core requests (health and metrics scrapes left out), outgoing HTTP and Redis commands, exported over OTLP as the
    /// standard <c>OTEL_EXPORTER_OTLP_*</c> variables say.
    /// </summary>
    /// <param name="builder">The host.</param>
    /// <param name="serviceName">The resource's <c>service.name</c>, unless <c>OTEL_SERVICE_NAME</c> says otherwise.</param>
    /// <param name="instrument">The host's own instrumentation (the API server's PostgreSQL client).</param>
    public static IHostApplicationBuilder AddApexServiceDefaults(this IHostApplicationBuilder builder, string serviceName, Action<TracerProviderBuilder>? instrument = null)
    {
        builder.Services.AddOptions<HealthOptions>().BindConfiguration(HealthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        AddConsoleLog(builder);
        var options = builder.Configuration.GetSection(TracingOptions.Section).Get<TracingOptions>() ?? new TracingOptions();
        var endpoint = builder.Configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] ?? builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var otlp = !string.IsNullOrWhiteSpace(endpoint);
        if (!(options.Enabled ?? otlp))
        {
            // Nobody listens to Apex's sources: StartActivity returns null and no trace context is stored or sent.
            return builder;
        }
        var name = builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } configured ? configured : serviceName;
        var version = Assembly.GetEntryAssembly()?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0];
        builder.Services.AddOpenTelemetry().WithTracing(tracing =>
        {
            tracing.ConfigureResource(r => r.AddService(name, serviceVersion: version, serviceInstanceId: $"{Environment.MachineName}-{Environment.ProcessId}"))
                .AddSource(TaskTracing.SourceName, AgentTelemetry.SourceName)
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsProbe(context.Request.Path))
                .AddHttpClientInstrumentation()
                .AddRedisInstrumentation();
            instrument?.Invoke(tracing);
            if (otlp)
            {
                tracing.AddOtlpExporter();
            }
        });
        return builder;
    }

    private static void AddConsoleLog(IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(LoggingOptions.Section).Get<LoggingOptions>() ?? new LoggingOptions();
        var format = options.Format ?? (builder.Environment.IsDevelopment() ? LoggingOptions.Text : LoggingOptions.Json);
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        if (string.Equals(format, LoggingOptions.Text, StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.IncludeScopes = true;
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
            return;
        }
        if (!string.Equals(format, LoggingOptions.Json, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{LoggingOptions.Section}:Format must be '{LoggingOptions.Json}' or '{LoggingOptions.Text}', not '{format}'.");
        }
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });
    }

    private static bool IsProbe(PathString path) => path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics");
}
