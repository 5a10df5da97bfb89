using System.Text.Json;
using Apex.Contracts;
using Apex.Contracts.Tasks;
using Apex.Core;
using Apex.Core.Events;
using Apex.Redis;
using Apex.Redis.Events;
using Apex.Server.Live;
using BenchmarkDotNet.Attributes;

namespace Apex.Micro;

/// <summary>
/// A <c>task_succeeded</c> event on its way out: the payload the store appends, the Redis channel message that carries
/// it to the other servers (and how they read it back), and the WebSocket <c>event</c> message (and how a .NET client
/// reads it back as the API's <see cref="TaskEventResponse"/>).
/// </summary>
[MemoryDiagnoser]
public class EventSerializationBenchmarks
{
    private static readonly Guid TaskId = Guid.CreateVersion7();

    private readonly TaskSucceededData _payload = new(1, string.Join(' ', Enumerable.Repeat("The quarterly report shows steady growth.", 12)),
        new UsageDelta(1_200, 350, 0.0042m, 1));
    private readonly string _origin = Guid.NewGuid().ToString("N");
    private StoredEvent _event = null!;
    private byte[] _redisMessage = null!;
    private byte[] _webSocketMessage = null!;

    [GlobalSetup]
    public void Setup()
    {
        _event = new StoredEvent
        {
            Seq = 123_456,
            TenantId = Tenancy.DefaultTenant,
            AggregateType = EventTypes.Task,
            AggregateId = TaskId,
            Version = 4,
            EventType = EventTypes.TaskSucceeded,
            Data = PayloadToJson(),
            CreatedAt = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero),
            DagId = Guid.CreateVersion7(),
        };
        _redisMessage = RedisSerialize();
        _webSocketMessage = [.. LiveFrames.EventPrefix("s1", LiveChannel.Tasks), .. WebSocketSerialize()];
    }

    /// <summary>The event's <c>data</c>, as the store appends it.</summary>
    [Benchmark]
    public string PayloadToJson() => JsonSerializer.Serialize(_payload, CoreJsonContext.Default.TaskSucceededData);

    /// <summary>The <c>{prefix}:events</c> message of a commit that produced this one event.</summary>
    [Benchmark]
    public byte[] RedisSerialize() =>
        JsonSerializer.SerializeToUtf8Bytes(new EventBatch(_origin, [EventEnvelope.From(_event)]), RedisJsonContext.Default.EventBatch);

    /// <summary>Another server receiving the message: parsed and turned back into the event its subscribers are offered.</summary>
    [Benchmark]
    public StoredEvent RedisDeserialize() =>
        JsonSerializer.Deserialize(_redisMessage, RedisJsonContext.Default.EventBatch)!.Events[0].ToStoredEvent();

    /// <summary>The body of the WebSocket <c>event</c> message, serialized once per event whatever the number of subscribers.</summary>
    [Benchmark]
    public byte[] WebSocketSerialize() => LiveFrames.EventBody(_event, TaskId, "default");

    /// <summary>A whole <c>event</c> message (subscription prefix and body) read as the API's event type.</summary>
    [Benchmark]
    public TaskEventResponse WebSocketDeserialize() => JsonSerializer.Deserialize(_webSocketMessage, ApexJsonContext.Default.TaskEventResponse)!;
}
