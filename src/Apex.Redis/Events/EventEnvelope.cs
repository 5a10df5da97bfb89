using System.Text.Json;
using System.Text.Json.Serialization;
using Apex.Core.Events;

namespace Apex.Redis.Events;

/// <summary>
/// One message on the <c>{prefix}:events</c> channel: the committed events of one group commit (at most
/// <see cref="RedisOptions.EventsPerMessage"/> of them), JSON in snake_case. One message per group rather than per
/// event: a task's life is four or five events, and at tens of thousands of tasks a second one PUBLISH each would
/// cost Redis more than the work itself.
/// </summary>
/// <param name="Origin">Instance id of the publishing bus, so it can drop the echo of its own events.</param>
/// <param name="Events">The events, in commit order.</param>
/// <param name="Live">
/// Every event of the message is live-only (output deltas and the like). Written right after the origin, so a server none
/// of whose subscribers takes live events drops the message on its first bytes (<see cref="IsLiveOnly"/>). Absent
/// (false) in messages from publishers that predate it.
/// </param>
internal sealed record EventBatch(
    [property: JsonPropertyOrder(-2)] string Origin,
    [property: JsonPropertyOrder(0)] IReadOnlyList<EventEnvelope> Events,
    [property: JsonPropertyOrder(-1)] bool Live = false)
{
    /// <summary>How every serialized batch of <paramref name="origin"/> begins: a bus drops its own echo on these bytes.</summary>
    public static byte[] Prefix(string origin) => System.Text.Encoding.UTF8.GetBytes($$"""{"origin":"{{origin}}",""");

    /// <summary>Whether a serialized batch says it holds live-only events, read from its first two properties only.</summary>
    public static bool IsLiveOnly(ReadOnlySpan<byte> payload)
    {
        var reader = new Utf8JsonReader(payload);
        try
        {
            return reader.Read() && reader.TokenType == JsonTokenType.StartObject
                && reader.Read() && reader.ValueTextEquals("origin"u8) && reader.Read()
                && reader.Read() && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("live"u8)
                && reader.Read() && reader.TokenType == JsonTokenType.True;
        }
        catch (JsonException)
        {
            return false; // malformed: the full parse reports it
        }
    }
}

/// <summary>A committed event inside an <see cref="EventBatch"/>; <see cref="Data"/> travels as JSON, not as a string of it.</summary>
internal sealed record EventEnvelope(
    long Seq,
    string TenantId,
    string AggregateType,
    Guid AggregateId,
    Guid? DagId,
    int Version,
    string EventType,
    [property: JsonConverter(typeof(RawJsonConverter))] string Data,
    DateTimeOffset CreatedAt)
{
    public static EventEnvelope From(StoredEvent e) =>
        new(e.Seq, e.TenantId, e.AggregateType, e.AggregateId, e.DagId, e.Version, e.EventType, e.Data, e.CreatedAt);

    public StoredEvent ToStoredEvent() => new()
    {
        Seq = Seq,
        TenantId = TenantId,
        AggregateType = AggregateType,
        AggregateId = AggregateId,
        DagId = DagId,
        Version = Version,
        EventType = EventType,
        Data = Data,
        CreatedAt = CreatedAt,
    };
}

/// <summary>A string holding a JSON document, written and read as that document (no escaping into a string).</summary>
internal sealed class RawJsonConverter : JsonConverter<string>
{
    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return document.RootElement.GetRawText();
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteRawValue(value, skipInputValidation: true);
}
