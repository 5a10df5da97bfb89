using System.Text.Json;
using System.Text.Json.Serialization;

namespace Apex.Core.Events;

/// <summary>Source-generated JSON for event payloads (snake_case, like the API).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TaskCreatedData))]
[JsonSerializable(typeof(TaskAgentData))]
[JsonSerializable(typeof(TaskQueuedData))]
[JsonSerializable(typeof(TaskStartedData))]
[JsonSerializable(typeof(TaskRetryScheduledData))]
[JsonSerializable(typeof(TaskRequeuedData))]
[JsonSerializable(typeof(TaskRetriedData))]
[JsonSerializable(typeof(TaskSucceededData))]
[JsonSerializable(typeof(TaskEndedData))]
[JsonSerializable(typeof(TaskResultIgnoredData))]
[JsonSerializable(typeof(DagEventData))]
[JsonSerializable(typeof(TaskAwaitingApprovalData))]
[JsonSerializable(typeof(TaskApprovedData))]
[JsonSerializable(typeof(ApprovalRequestedData))]
[JsonSerializable(typeof(ApprovalClosedData))]
[JsonSerializable(typeof(ApprovalUsedData))]
[JsonSerializable(typeof(List<Approvals.ApprovalGrant>))]
[JsonSerializable(typeof(OutputDeltaData))]
[JsonSerializable(typeof(ToolCalledData))]
[JsonSerializable(typeof(ContractWarningData))]
[JsonSerializable(typeof(CascadeDecisionData))]
[JsonSerializable(typeof(Agents.AgentSettings))]
[JsonSerializable(typeof(LlmCallUsage))]
[JsonSerializable(typeof(List<LlmCallUsage>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(Contracts.Tasks.TaskLimits))]
public sealed partial class CoreJsonContext : JsonSerializerContext;
