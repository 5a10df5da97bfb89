using System.Text.Json.Serialization;
using Apex.Redis.Events;
using Apex.Redis.Queue;

namespace Apex.Redis;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    RespectRequiredConstructorParameters = true,
    RespectNullableAnnotations = true)]
[JsonSerializable(typeof(EventBatch))]
[JsonSerializable(typeof(ControlMessage))]
internal sealed partial class RedisJsonContext : JsonSerializerContext;
