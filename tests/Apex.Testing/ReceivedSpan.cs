namespace Apex.Testing;

/// <summary>One span as an OTLP exporter sent it: ids in lower-case hex, the exporting process's <c>service.name</c>.</summary>
/// <param name="Service">The resource's <c>service.name</c>.</param>
/// <param name="TraceId">32 hex digits.</param>
/// <param name="SpanId">16 hex digits.</param>
/// <param name="ParentSpanId">16 hex digits, or empty for a root span.</param>
/// <param name="Name">Span name.</param>
/// <param name="Attributes">The span's string attributes (others are left out).</param>
public sealed record ReceivedSpan(string Service, string TraceId, string SpanId, string ParentSpanId, string Name,
    IReadOnlyDictionary<string, string> Attributes);
