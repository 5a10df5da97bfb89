using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Apex.Testing;

/// <summary>
/// A tiny OTLP/HTTP trace receiver on loopback (<c>POST /v1/traces</c>, protobuf <c>ExportTraceServiceRequest</c>) for
/// processes started with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> = <see cref="Endpoint"/> and
/// <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>. It decodes only what the tests read (trace, span and parent ids, name,
/// string attributes, <c>service.name</c>) with a hand-written protobuf reader: the OTLP proto package is not available here.
/// </summary>
public sealed class OtlpTraceReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly Task _loop;

    private OtlpTraceReceiver(HttpListener listener, string endpoint)
    {
        _listener = listener;
        Endpoint = endpoint;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>The base URL to give exporters (<c>http://127.0.0.1:PORT</c>; they append <c>/v1/traces</c>).</summary>
    public string Endpoint { get; }

    /// <summary>Every span received so far.</summary>
    public IReadOnlyList<ReceivedSpan> Spans => [.. _spans];

    /// <summary>Starts listening on a free loopback port.</summary>
    public static OtlpTraceReceiver Start()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var endpoint = $"http://127.0.0.1:{port}";
        var listener = new HttpListener();
        listener.Prefixes.Add(endpoint + "/");
        listener.Start();
        return new OtlpTraceReceiver(listener, endpoint);
    }

    /// <summary>Stops listening.</summary>
    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (HttpListenerException)
        {
            // Stopped while waiting for a request.
        }
        catch (ObjectDisposedException)
        {
            // Likewise.
        }
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            var context = await _listener.GetContextAsync();
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var accepted = context.Request.HttpMethod == "POST" && context.Request.Url?.AbsolutePath == "/v1/traces";
            if (accepted)
            {
                foreach (var span in Decode(body.ToArray()))
                {
                    _spans.Enqueue(span);
                }
            }
            // An empty ExportTraceServiceResponse is an empty protobuf message.
            context.Response.StatusCode = accepted ? 200 : 404;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    /// <summary>The spans of an <c>ExportTraceServiceRequest</c> (field 1: repeated ResourceSpans).</summary>
    public static IReadOnlyList<ReceivedSpan> Decode(byte[] request)
    {
        var spans = new List<ReceivedSpan>();
        foreach (var (field, resourceSpans) in Fields(request))
        {
            if (field != 1)
            {
                continue;
            }
            // ResourceSpans: 1 resource, 2 repeated ScopeSpans.
            var service = "";
            var scopes = new List<byte[]>();
            foreach (var (f, value) in Fields(resourceSpans))
            {
                if (f == 1)
                {
                    // Resource: 1 repeated KeyValue attributes.
                    service = Attributes(Fields(value).Where(a => a.Field == 1).Select(a => a.Value)).GetValueOrDefault("service.name", "");
                }
                else if (f == 2)
                {
                    scopes.Add(value);
                }
            }
            // ScopeSpans: 2 repeated Span.
            foreach (var span in scopes.SelectMany(s => Fields(s).Where(f => f.Field == 2).Select(f => f.Value)))
            {
                spans.Add(ReadSpan(service, span));
            }
        }
        return spans;
    }

    /// <summary>Span: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 9 repeated KeyValue attributes.</summary>
    private static ReceivedSpan ReadSpan(string service, byte[] span)
    {
        string traceId = "", spanId = "", parentId = "", name = "";
        var attributes = new List<byte[]>();
        foreach (var (field, value) in Fields(span))
        {
            switch (field)
            {
                case 1: traceId = Convert.ToHexStringLower(value); break;
                case 2: spanId = Convert.ToHexStringLower(value); break;
                case 4: parentId = Convert.ToHexStringLower(value); break;
                case 5: name = Encoding.UTF8.GetString(value); break;
                case 9: attributes.Add(value); break;
                default: break;
            }
        }
        return new ReceivedSpan(service, traceId, spanId, parentId, name, Attributes(attributes));
    }

    /// <summary>KeyValue: 1 key, 2 AnyValue (1 string_value); values of other types are left out.</summary>
    private static Dictionary<string, string> Attributes(IEnumerable<byte[]> keyValues)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var keyValue in keyValues)
        {
            string? key = null, text = null;
            foreach (var (field, value) in Fields(keyValue))
            {
                if (field == 1)
                {
                    key = Encoding.UTF8.GetString(value);
                }
                else if (field == 2 && Fields(value).FirstOrDefault(v => v.Field == 1) is { Value: { } s })
                {
                    text = Encoding.UTF8.GetString(s);
                }
            }
            if (key is not null && text is not null)
            {
                attributes[key] = text;
            }
        }
        return attributes;
    }

    /// <summary>The length-delimited fields of a message, in order; varint and fixed-width fields are skipped.</summary>
    private static List<(int Field, byte[] Value)> Fields(byte[] message)
    {
        var fields = new List<(int, byte[])>();
        var position = 0;
        while (position < message.Length)
        {
            var tag = ReadVarint(message, ref position);
            var field = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0:
                    ReadVarint(message, ref position);
                    break;
                case 1:
                    position += 8;
                    break;
                case 2:
                    var length = (int)ReadVarint(message, ref position);
                    fields.Add((field, message[position..(position + length)]));
                    position += length;
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"Unsupported protobuf wire type in tag {tag}.");
            }
        }
        return fields;
    }

    private static ulong ReadVarint(byte[] buffer, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = buffer[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
    }
}
