using System.Text.Json;
using Apex.Core.Events;
using Apex.Redis.Events;
using Xunit;

namespace Apex.Redis.Tests.Events;

public sealed class EventBatchTests
{
    [Fact]
    public void Serialized_BeginsWithItsOriginsPrefix_AndCarriesDataAsJson()
    {
        var stored = new StoredEvent
        {
            Seq = 7,
            TenantId = "default",
            AggregateType = "task",
            AggregateId = Guid.NewGuid(),
            Version = 2,
            EventType = "task_succeeded",
            Data = """{"attempt":1,"output":"a \"quoted\" line"}""",
            CreatedAt = DateTimeOffset.UnixEpoch,
        };

        var bytes = JsonSerializer.SerializeToUtf8Bytes(new EventBatch("abc", [EventEnvelope.From(stored)]), RedisJsonContext.Default.EventBatch);
        var back = JsonSerializer.Deserialize(bytes, RedisJsonContext.Default.EventBatch)!;

        Assert.True(bytes.AsSpan().StartsWith(EventBatch.Prefix("abc")));
        Assert.False(bytes.AsSpan().StartsWith(EventBatch.Prefix("abd")));
        Assert.Contains("\"data\":{\"attempt\":1", System.Text.Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        Assert.Equal(stored, back.Events.Single().ToStoredEvent());
    }
}
