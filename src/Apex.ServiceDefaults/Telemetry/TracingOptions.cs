namespace Apex.ServiceDefaults.Telemetry;

/// <summary>Tracing and console logs of an Apex host (configuration sections <c>Apex:Tracing</c> and <c>Apex:Logging</c>).</summary>
public sealed class TracingOptions
{
    /// <summary>Configuration section of the tracing settings.</summary>
    public const string Section = "Apex:Tracing";

    /// <summary>
    /// Record spans: true, false, or unset (default), which records them only when an OTLP endpoint is configured
    /// (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>). Unrecorded, no tracer listens to
    /// Apex's sources and a span costs a null check. True without an endpoint records spans for an exporter added in code
    /// (tests).
    /// </summary>
    public bool? Enabled { get; set; }
}
