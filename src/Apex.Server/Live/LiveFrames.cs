using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Apex.Core.Events;

namespace Apex.Server.Live;

/// <summary>The server's messages, written straight to UTF-8 (docs/websocket.md has their shapes).</summary>
internal static class LiveFrames
{
    /// <summary>An <c>event</c> message minus its opening: everything after the subscription's <see cref="EventPrefix"/>.</summary>
    public static byte[] EventBody(StoredEvent e, Guid? taskId, string? agent)
    {
        var bytes = Write(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("seq", e.Seq);
            w.WriteString("event_type", e.EventType);
            w.WriteString("aggregate_type", e.AggregateType);
            w.WriteString("aggregate_id", e.AggregateId);
            if (taskId is { } task)
            {
                w.WriteString("task_id", task);
            }
            var dag = e.AggregateType == EventTypes.Dag ? e.AggregateId : e.DagId;
            if (dag is { } dagId)
            {
                w.WriteString("dag_id", dagId);
            }
            if (e.AggregateType == EventTypes.Approval)
            {
                w.WriteString("approval_id", e.AggregateId);
            }
            if (agent is not null)
            {
                w.WriteString("agent", agent);
            }
            w.WriteNumber("version", e.Version);
            w.WriteString("created_at", e.CreatedAt);
            w.WritePropertyName("data");
            w.WriteRawValue(e.Data, skipInputValidation: true);
            w.WriteEndObject();
        }, skip: 1); // without its '{': the prefix opens the object
        return bytes;
    }

    /// <summary><c>{"type":"event","subscription":…,"channel":…,</c>, once per subscription.</summary>
    public static byte[] EventPrefix(string subscription, LiveChannel channel)
    {
        var bytes = Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "event");
            w.WriteString("subscription", subscription);
            w.WriteString("channel", channel.Name());
            w.WriteNumber("x", 0);
            w.WriteEndObject();
        });
        // Cut at the placeholder property: what remains ends with the ',' before it.
        var end = bytes.AsSpan().LastIndexOf("\"x\""u8);
        return bytes[..end];
    }

    public static byte[] Subscribed(string id, LiveChannel channel, LiveFilter filter, long? since, int replayed, long seq) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("type", "subscribed");
        w.WriteString("id", id);
        w.WriteString("channel", channel.Name());
        if (!filter.IsEmpty)
        {
            w.WriteStartObject("filter");
            if (filter.DagId is { } dag)
            {
                w.WriteString("dag_id", dag);
            }
            if (filter.TaskId is { } task)
            {
                w.WriteString("task_id", task);
            }
            if (filter.Agent is { } agent)
            {
                w.WriteString("agent", agent);
            }
            if (filter.EventTypes is { } types)
            {
                w.WriteStartArray("event_types");
                foreach (var type in types.Order(StringComparer.Ordinal))
                {
                    w.WriteStringValue(type);
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        if (since is { } value)
        {
            w.WriteNumber("since", value);
        }
        w.WriteNumber("replayed", replayed);
        w.WriteNumber("seq", seq);
        w.WriteEndObject();
    });

    public static byte[] Unsubscribed(string id, LiveChannel channel) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("type", "unsubscribed");
        w.WriteString("id", id);
        w.WriteString("channel", channel.Name());
        w.WriteEndObject();
    });

    public static byte[] Pong(string? id) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("type", "pong");
        if (id is not null)
        {
            w.WriteString("id", id);
        }
        w.WriteEndObject();
    });

    public static byte[] Error(string code, string message, string? id) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("type", "error");
        w.WriteString("code", code);
        w.WriteString("message", message);
        if (id is not null)
        {
            w.WriteString("id", id);
        }
        w.WriteEndObject();
    });

    // Not HTML-escaped: these messages are never embedded in a page, and agent names and ids read as they are.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Largest scratch buffer a thread keeps between messages; a bigger message's buffer is let go.</summary>
    private const int KeptBufferBytes = 64 * 1024;

    // One scratch buffer and writer per thread: a message is written into it, then copied out once at its exact size
    // (every event of every streaming agent passes here, so a growing buffer per message was most of the server's garbage).
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? _writer;

    private static byte[] Write(Action<Utf8JsonWriter> write, int skip = 0)
    {
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = _writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        writer.Reset(buffer);
        write(writer);
        writer.Flush();
        var bytes = buffer.WrittenSpan[skip..].ToArray();
        if (buffer.Capacity > KeptBufferBytes)
        {
            _buffer = null;
            _writer = null;
        }
        return bytes;
    }
}
