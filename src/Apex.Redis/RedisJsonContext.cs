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
[JsonSerializable(typeof(List<Apex.Agents.Approvals.ApprovalToolRule>))]
[JsonSerializable(typeof(List<Apex.Core.Approvals.ApprovalGrant>))]
internal sealed partial class RedisJsonContext : JsonSerializerContext;
