using System.Text.Json;
using System.Text.Json.Serialization;
using Apex.Contracts.Agents;
using Apex.Contracts.Approvals;
using Apex.Contracts.Audit;
using Apex.Contracts.Common;
using Apex.Contracts.Dags;
using Apex.Contracts.Health;
using Apex.Contracts.Keys;
using Apex.Contracts.Tasks;
using Apex.Contracts.Tenants;
using Apex.Contracts.Usage;

namespace Apex.Contracts;

/// <summary>Source-generated JSON metadata for every wire type, snake_case.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowTrailingCommas = false,
    MaxDepth = 64)]
[JsonSerializable(typeof(CreateTaskRequest))]
[JsonSerializable(typeof(CreateApiKeyRequest))]
[JsonSerializable(typeof(CreatedApiKeyResponse))]
[JsonSerializable(typeof(Page<ApiKeyResponse>))]
[JsonSerializable(typeof(Page<AuditEntryResponse>))]
[JsonSerializable(typeof(AuditVerificationResponse))]
[JsonSerializable(typeof(UsageReport))]
[JsonSerializable(typeof(TenantQuotaValues))]
[JsonSerializable(typeof(TenantResponse))]
[JsonSerializable(typeof(Page<TenantResponse>))]
[JsonSerializable(typeof(CreateTaskBatchRequest))]
[JsonSerializable(typeof(CreateTaskBatchResponse))]
[JsonSerializable(typeof(TaskResponse))]
[JsonSerializable(typeof(Page<TaskResponse>))]
[JsonSerializable(typeof(TaskEventResponse))]
[JsonSerializable(typeof(Page<TaskEventResponse>))]
[JsonSerializable(typeof(CreateDagRequest))]
[JsonSerializable(typeof(DagResponse))]
[JsonSerializable(typeof(Page<DagResponse>))]
[JsonSerializable(typeof(AgentRequest))]
[JsonSerializable(typeof(AgentResponse))]
[JsonSerializable(typeof(Page<AgentResponse>))]
[JsonSerializable(typeof(ApprovalResponse))]
[JsonSerializable(typeof(Page<ApprovalResponse>))]
[JsonSerializable(typeof(DecideApprovalRequest))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(Dictionary<string, string>))]
public sealed partial class ApexJsonContext : JsonSerializerContext;
