using System.Text.Json;
using Apex.Agents.Approvals;
using Apex.Core.Approvals;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Core.Agents;
using Apex.Core.Storage;
using StackExchange.Redis;

namespace Apex.Redis.Queue;

/// <summary>A task to run: one entry of the work stream (docs/worker-protocol.md, "Work message").</summary>
public sealed record WorkMessage
{
    /// <summary>Task id.</summary>
    public required Guid TaskId { get; init; }

    /// <summary>Tenant of the task.</summary>
    public required string TenantId { get; init; }

    /// <summary>The attempt this dispatch belongs to: the fencing token of the lease.</summary>
    public required int Attempt { get; init; }

    /// <summary>Agent name.</summary>
    public required string Agent { get; init; }

    /// <summary>LLM provider to call.</summary>
    public required string Provider { get; init; }

    /// <summary>Model of the provider.</summary>
    public required string Model { get; init; }

    /// <summary>The agent's system prompt; may be empty.</summary>
    public string SystemPrompt { get; init; } = "";

    /// <summary>The agent's cascade and tools (JSON on the wire, field <c>agent_settings</c>; empty for none).</summary>
    public AgentSettings AgentSettings { get; init; } = AgentSettings.None;

    /// <summary>The task's own JSON Schema for its output (raw JSON, field <c>output_schema</c>; empty for none).</summary>
    public string? OutputSchema { get; init; }

    /// <summary>The instruction with dependency outputs already substituted.</summary>
    public required string Instruction { get; init; }

    /// <summary>Wall-clock limit of the attempt in milliseconds; null (an empty field) for none.</summary>
    public long? TimeLimitMs { get; init; }

    /// <summary>The task's DAG, if any (its budget and scratchpad are shared); null as an empty field.</summary>
    public Guid? DagId { get; init; }

    /// <summary>The task's token limit over its whole life; null (empty) for none.</summary>
    public long? TokenLimit { get; init; }

    /// <summary>The task's cost limit in US dollars; null (empty) for none.</summary>
    public decimal? CostLimit { get; init; }

    /// <summary>The task's LLM call limit; null (empty) for none.</summary>
    public int? ApiCallLimit { get; init; }

    /// <summary>Tokens (input + output) earlier attempts of the task spent.</summary>
    public long UsedTokens { get; init; }

    /// <summary>US dollars earlier attempts of the task spent.</summary>
    public decimal UsedCostUsd { get; init; }

    /// <summary>LLM calls earlier attempts of the task made.</summary>
    public int UsedApiCalls { get; init; }

    /// <summary>The DAG's shared budget, when its DAG has limits (fields <c>dag_token_limit</c>, <c>dag_cost_limit</c>, <c>dag_api_call_limit</c>).</summary>
    public TaskLimits? DagLimits { get; init; }

    /// <summary>What the DAG's tasks had spent at dispatch (fields <c>dag_used_tokens</c>, <c>dag_used_cost_usd</c>, <c>dag_used_api_calls</c>).</summary>
    public UsageDelta DagUsed { get; init; } = UsageDelta.None;

    /// <summary>When the orchestrator dispatched it (millisecond precision on the wire).</summary>
    public required DateTimeOffset DispatchedAt { get; init; }

    /// <summary>W3C traceparent of the dispatch (the worker's spans are its children); may be empty.</summary>
    public string Traceparent { get; init; } = "";

    /// <summary>W3C tracestate that goes with <see cref="Traceparent"/> (protocol 1.4; sent only when not empty).</summary>
    public string Tracestate { get; init; } = "";

    /// <summary>Tools whose calls need a human's approval for this agent (protocol 1.2, JSON field <c>approval_tools</c>).</summary>
    public IReadOnlyList<ApprovalToolRule> ApprovalTools { get; init; } = [];

    /// <summary>The task's approved, unused approvals (protocol 1.2, JSON field <c>approvals</c>); each covers one action once.</summary>
    public IReadOnlyList<ApprovalGrant> Approvals { get; init; } = [];

    /// <summary>The stream fields of this message, all strings.</summary>
    public NameValueEntry[] ToEntries() => Tracestate.Length == 0 ? Fields() : [.. Fields(), new("tracestate", Tracestate)];

    private NameValueEntry[] Fields() =>
    [
        new("v", StreamFields.Version),
        new("task_id", StreamFields.Id(TaskId)),
        new("tenant_id", TenantId),
        new("attempt", StreamFields.Int(Attempt)),
        new("agent", Agent),
        new("provider", Provider),
        new("model", Model),
        new("system_prompt", SystemPrompt),
        new("agent_settings", StoreValues.SettingsJson(AgentSettings) ?? ""),
        new("instruction", Instruction),
        new("output_schema", OutputSchema ?? ""),
        new("time_limit_ms", TimeLimitMs is { } ms ? StreamFields.Int(ms) : ""),
        new("dag_id", DagId is { } dag ? StreamFields.Id(dag) : ""),
        new("token_limit", TokenLimit is { } tokens ? StreamFields.Int(tokens) : ""),
        new("cost_limit", CostLimit is { } cost ? StreamFields.Decimal(cost) : ""),
        new("api_call_limit", ApiCallLimit is { } calls ? StreamFields.Int(calls) : ""),
        new("used_tokens", StreamFields.Int(UsedTokens)),
        new("used_cost_usd", StreamFields.Decimal(UsedCostUsd)),
        new("used_api_calls", StreamFields.Int(UsedApiCalls)),
        new("dag_token_limit", DagLimits?.TokenLimit is { } dagTokens ? StreamFields.Int(dagTokens) : ""),
        new("dag_cost_limit", DagLimits?.CostLimit is { } dagCost ? StreamFields.Decimal(dagCost) : ""),
        new("dag_api_call_limit", DagLimits?.ApiCallLimit is { } dagCalls ? StreamFields.Int(dagCalls) : ""),
        new("dag_used_tokens", StreamFields.Int(DagUsed.InputTokens + DagUsed.OutputTokens)),
        new("dag_used_cost_usd", StreamFields.Decimal(DagUsed.CostUsd)),
        new("dag_used_api_calls", StreamFields.Int(DagUsed.ApiCalls)),
        new("dispatched_at", StreamFields.Time(DispatchedAt)),
        new("traceparent", Traceparent),
        new("approval_tools", ApprovalTools.Count == 0 ? "" : JsonSerializer.Serialize([.. ApprovalTools], RedisJsonContext.Default.ListApprovalToolRule)),
        new("approvals", Approvals.Count == 0 ? "" : JsonSerializer.Serialize([.. Approvals], RedisJsonContext.Default.ListApprovalGrant)),
    ];

    /// <summary>Reads a message from stream fields; unknown fields are ignored.</summary>
    /// <exception cref="FormatException">A field is missing or malformed, or the version is not 1.</exception>
    public static WorkMessage Parse(NameValueEntry[] entries)
    {
        string? v = null, taskId = null, tenantId = null, attempt = null, agent = null, provider = null, model = null;
        string? systemPrompt = null, instruction = null, timeLimit = null, dispatchedAt = null, traceparent = null;
        string? agentSettings = null, dagId = null, tokenLimit = null, costLimit = null, callLimit = null, usedTokens = null, usedCost = null, usedCalls = null;
        string? dagTokenLimit = null, dagCostLimit = null, dagCallLimit = null, dagUsedTokens = null, dagUsedCost = null, dagUsedCalls = null;
        string? approvalTools = null, approvals = null, outputSchema = null, tracestate = null;
        foreach (var entry in entries)
        {
            var value = (string?)entry.Value ?? "";
            switch ((string?)entry.Name)
            {
                case "v": v = value; break;
                case "task_id": taskId = value; break;
                case "tenant_id": tenantId = value; break;
                case "attempt": attempt = value; break;
                case "agent": agent = value; break;
                case "provider": provider = value; break;
                case "model": model = value; break;
                case "system_prompt": systemPrompt = value; break;
                case "instruction": instruction = value; break;
                case "time_limit_ms": timeLimit = value; break;
                case "dispatched_at": dispatchedAt = value; break;
                case "traceparent": traceparent = value; break;
                case "tracestate": tracestate = value; break;
                case "dag_id": dagId = value; break;
                case "agent_settings": agentSettings = value; break;
                case "output_schema": outputSchema = value; break;
                case "dag_token_limit": dagTokenLimit = value; break;
                case "dag_cost_limit": dagCostLimit = value; break;
                case "dag_api_call_limit": dagCallLimit = value; break;
                case "dag_used_tokens": dagUsedTokens = value; break;
                case "dag_used_cost_usd": dagUsedCost = value; break;
                case "dag_used_api_calls": dagUsedCalls = value; break;
                case "token_limit": tokenLimit = value; break;
                case "cost_limit": costLimit = value; break;
                case "api_call_limit": callLimit = value; break;
                case "used_tokens": usedTokens = value; break;
                case "used_cost_usd": usedCost = value; break;
                case "used_api_calls": usedCalls = value; break;
                case "approval_tools": approvalTools = value; break;
                case "approvals": approvals = value; break;
                default: break;
            }
        }
        StreamFields.CheckVersion(v);
        return new WorkMessage
        {
            TaskId = StreamFields.Guid(taskId, "task_id"),
            TenantId = StreamFields.Text(tenantId, "tenant_id"),
            Attempt = StreamFields.Int32(attempt, "attempt"),
            Agent = StreamFields.Text(agent, "agent"),
            Provider = StreamFields.Text(provider, "provider"),
            Model = StreamFields.Text(model, "model"),
            SystemPrompt = systemPrompt ?? "",
            Instruction = StreamFields.Text(instruction, "instruction"),
            TimeLimitMs = string.IsNullOrEmpty(timeLimit) ? null : StreamFields.Long(timeLimit, "time_limit_ms"),
            DispatchedAt = StreamFields.Time(dispatchedAt, "dispatched_at"),
            Traceparent = traceparent ?? "",
            Tracestate = tracestate ?? "",
            // Contract fields came with protocol 1.1; a 1.0 orchestrator sends none, which reads as no limit.
            AgentSettings = ParseSettings(agentSettings),
            // Protocol 1.3: a task's own output schema; absent from older orchestrators (the agent's applies).
            OutputSchema = string.IsNullOrEmpty(outputSchema) ? null : outputSchema,
            DagLimits = string.IsNullOrEmpty(dagTokenLimit) && string.IsNullOrEmpty(dagCostLimit) && string.IsNullOrEmpty(dagCallLimit) ? null : new TaskLimits
            {
                TokenLimit = string.IsNullOrEmpty(dagTokenLimit) ? null : StreamFields.Long(dagTokenLimit, "dag_token_limit"),
                CostLimit = string.IsNullOrEmpty(dagCostLimit) ? null : StreamFields.Decimal(dagCostLimit, "dag_cost_limit"),
                ApiCallLimit = string.IsNullOrEmpty(dagCallLimit) ? null : StreamFields.Int32(dagCallLimit, "dag_api_call_limit"),
            },
            DagUsed = new UsageDelta(
                string.IsNullOrEmpty(dagUsedTokens) ? 0 : StreamFields.Long(dagUsedTokens, "dag_used_tokens"), 0,
                string.IsNullOrEmpty(dagUsedCost) ? 0m : StreamFields.Decimal(dagUsedCost, "dag_used_cost_usd"),
                string.IsNullOrEmpty(dagUsedCalls) ? 0 : StreamFields.Int32(dagUsedCalls, "dag_used_api_calls")),
            DagId = string.IsNullOrEmpty(dagId) ? null : StreamFields.Guid(dagId, "dag_id"),
            TokenLimit = string.IsNullOrEmpty(tokenLimit) ? null : StreamFields.Long(tokenLimit, "token_limit"),
            CostLimit = string.IsNullOrEmpty(costLimit) ? null : StreamFields.Decimal(costLimit, "cost_limit"),
            ApiCallLimit = string.IsNullOrEmpty(callLimit) ? null : StreamFields.Int32(callLimit, "api_call_limit"),
            UsedTokens = string.IsNullOrEmpty(usedTokens) ? 0 : StreamFields.Long(usedTokens, "used_tokens"),
            UsedCostUsd = string.IsNullOrEmpty(usedCost) ? 0m : StreamFields.Decimal(usedCost, "used_cost_usd"),
            UsedApiCalls = string.IsNullOrEmpty(usedCalls) ? 0 : StreamFields.Int32(usedCalls, "used_api_calls"),
            // Approval fields came with protocol 1.2; an older orchestrator sends none: no tool needs approval.
            ApprovalTools = StreamFields.Json(approvalTools, "approval_tools", RedisJsonContext.Default.ListApprovalToolRule),
            Approvals = StreamFields.Json(approvals, "approvals", RedisJsonContext.Default.ListApprovalGrant),
        };
    }

    private static AgentSettings ParseSettings(string? value)
    {
        try
        {
            return StoreValues.ParseSettings(value);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new FormatException("Field 'agent_settings' is not valid.", e);
        }
    }
}
