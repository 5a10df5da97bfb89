using System.Text.Json;
using Apex.Core.Approvals;
using Apex.Core.Events;
using StackExchange.Redis;

namespace Apex.Redis.Queue;

/// <summary>The outcome of one attempt: one entry of the results stream (docs/worker-protocol.md, "Result message").</summary>
public sealed record ResultMessage
{
    /// <summary>Task id.</summary>
    public required Guid TaskId { get; init; }

    /// <summary>Tenant of the task.</summary>
    public required string TenantId { get; init; }

    /// <summary>The attempt the worker ran.</summary>
    public required int Attempt { get; init; }

    /// <summary>Id of the worker that ran it.</summary>
    public required string Worker { get; init; }

    /// <summary>Outcome.</summary>
    public required ResultOutcome Outcome { get; init; }

    /// <summary>Output, when succeeded; otherwise empty.</summary>
    public string Output { get; init; } = "";

    /// <summary>Error code, when failed; otherwise empty.</summary>
    public string ErrorCode { get; init; } = "";

    /// <summary>Error message, when failed; otherwise empty.</summary>
    public string ErrorMessage { get; init; } = "";

    /// <summary>Whether another attempt may succeed.</summary>
    public bool Retryable { get; init; }

    /// <summary>Prompt tokens used.</summary>
    public long InputTokens { get; init; }

    /// <summary>Completion tokens used.</summary>
    public long OutputTokens { get; init; }

    /// <summary>Spend in US dollars.</summary>
    public decimal CostUsd { get; init; }

    /// <summary>LLM API calls made.</summary>
    public int ApiCalls { get; init; }

    /// <summary>What each model spent (protocol 1.1, JSON in field <c>calls</c>); empty from an older worker.</summary>
    public IReadOnlyList<LlmCallUsage> Calls { get; init; } = [];

    /// <summary>What the attempt asks a human for, with <see cref="ResultOutcome.AwaitingApproval"/> (fields <c>approval_*</c>).</summary>
    public ApprovalRequest? Approval { get; init; }

    /// <summary>The approvals the attempt took (protocol 1.2, field <c>approvals_used</c>: comma-separated ids).</summary>
    public IReadOnlyList<Guid> ApprovalsUsed { get; init; } = [];

    /// <summary>When the worker started the attempt (millisecond precision on the wire).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When it finished (millisecond precision on the wire).</summary>
    public required DateTimeOffset FinishedAt { get; init; }

    /// <summary>
    /// W3C traceparent of the attempt's span (protocol 1.4, field <c>traceparent</c>, sent only when not empty): the
    /// orchestrator's completion span is its child.
    /// </summary>
    public string Traceparent { get; init; } = "";

    /// <summary>W3C tracestate that goes with <see cref="Traceparent"/> (protocol 1.4, field <c>tracestate</c>).</summary>
    public string Tracestate { get; init; } = "";

    /// <summary>The stream fields of this message, all strings.</summary>
    public NameValueEntry[] ToEntries() =>
        Traceparent.Length == 0 ? Fields() : [.. Fields(), new("traceparent", Traceparent), new("tracestate", Tracestate)];

    private NameValueEntry[] Fields() =>
    [
        new("v", StreamFields.Version),
        new("task_id", StreamFields.Id(TaskId)),
        new("tenant_id", TenantId),
        new("attempt", StreamFields.Int(Attempt)),
        new("worker", Worker),
        new("outcome", Outcome switch
        {
            ResultOutcome.Succeeded => "succeeded",
            ResultOutcome.Failed => "failed",
            ResultOutcome.Released => "released",
            ResultOutcome.AwaitingApproval => "awaiting_approval",
            _ => throw new ArgumentOutOfRangeException(nameof(Outcome), Outcome, "Unknown outcome."),
        }),
        new("output", Output),
        new("error_code", ErrorCode),
        new("error_message", ErrorMessage),
        new("retryable", Retryable ? "1" : "0"),
        new("input_tokens", StreamFields.Int(InputTokens)),
        new("output_tokens", StreamFields.Int(OutputTokens)),
        new("cost_usd", StreamFields.Decimal(CostUsd)),
        new("api_calls", StreamFields.Int(ApiCalls)),
        new("calls", Calls.Count == 0 ? "" : JsonSerializer.Serialize([.. Calls], CoreJsonContext.Default.ListLlmCallUsage)),
        new("started_at", StreamFields.Time(StartedAt)),
        new("finished_at", StreamFields.Time(FinishedAt)),
        new("approval_action", Approval?.Action ?? ""),
        new("approval_tool", Approval?.Tool ?? ""),
        new("approval_args_hash", Approval?.ArgsHash ?? ""),
        new("approval_risk", Approval?.Risk ?? ""),
        new("approval_summary", Approval?.Summary ?? ""),
        new("approvals_used", string.Join(',', ApprovalsUsed.Select(StreamFields.Id))),
    ];

    /// <summary>Reads a message from stream fields; unknown fields are ignored, absent text fields are empty.</summary>
    /// <exception cref="FormatException">A required field is missing or malformed, or the version is not 1.</exception>
    public static ResultMessage Parse(NameValueEntry[] entries)
    {
        string? v = null, taskId = null, tenantId = null, attempt = null, worker = null, outcome = null, output = null;
        string? errorCode = null, errorMessage = null, retryable = null, inputTokens = null, outputTokens = null;
        string? costUsd = null, apiCalls = null, startedAt = null, finishedAt = null, calls = null;
        string? approvalAction = null, approvalTool = null, approvalHash = null, approvalRisk = null, approvalSummary = null, approvalsUsed = null;
        string? traceparent = null, tracestate = null;
        foreach (var entry in entries)
        {
            var value = (string?)entry.Value ?? "";
            switch ((string?)entry.Name)
            {
                case "v": v = value; break;
                case "task_id": taskId = value; break;
                case "tenant_id": tenantId = value; break;
                case "attempt": attempt = value; break;
                case "worker": worker = value; break;
                case "outcome": outcome = value; break;
                case "output": output = value; break;
                case "error_code": errorCode = value; break;
                case "error_message": errorMessage = value; break;
                case "retryable": retryable = value; break;
                case "input_tokens": inputTokens = value; break;
                case "output_tokens": outputTokens = value; break;
                case "cost_usd": costUsd = value; break;
                case "api_calls": apiCalls = value; break;
                case "started_at": startedAt = value; break;
                case "finished_at": finishedAt = value; break;
                case "calls": calls = value; break;
                case "approval_action": approvalAction = value; break;
                case "approval_tool": approvalTool = value; break;
                case "approval_args_hash": approvalHash = value; break;
                case "approval_risk": approvalRisk = value; break;
                case "approval_summary": approvalSummary = value; break;
                case "approvals_used": approvalsUsed = value; break;
                case "traceparent": traceparent = value; break;
                case "tracestate": tracestate = value; break;
                default: break;
            }
        }
        StreamFields.CheckVersion(v);
        return new ResultMessage
        {
            TaskId = StreamFields.Guid(taskId, "task_id"),
            TenantId = StreamFields.Text(tenantId, "tenant_id"),
            Attempt = StreamFields.Int32(attempt, "attempt"),
            Worker = StreamFields.Text(worker, "worker"),
            Outcome = StreamFields.Text(outcome, "outcome") switch
            {
                "succeeded" => ResultOutcome.Succeeded,
                "failed" => ResultOutcome.Failed,
                "released" => ResultOutcome.Released,
                "awaiting_approval" => ResultOutcome.AwaitingApproval,
                _ => throw new FormatException("Field 'outcome' is not valid."),
            },
            Output = output ?? "",
            ErrorCode = errorCode ?? "",
            ErrorMessage = errorMessage ?? "",
            Retryable = StreamFields.Flag(retryable, "retryable"),
            InputTokens = StreamFields.Long(inputTokens, "input_tokens"),
            OutputTokens = StreamFields.Long(outputTokens, "output_tokens"),
            CostUsd = StreamFields.Decimal(costUsd, "cost_usd"),
            ApiCalls = StreamFields.Int32(apiCalls, "api_calls"),
            StartedAt = StreamFields.Time(startedAt, "started_at"),
            FinishedAt = StreamFields.Time(finishedAt, "finished_at"),
            Calls = ParseCalls(calls),
            Approval = string.IsNullOrEmpty(approvalAction)
                ? null
                : new ApprovalRequest(approvalAction, approvalTool ?? "", StreamFields.Text(approvalHash, "approval_args_hash"),
                    string.IsNullOrEmpty(approvalRisk) ? "medium" : approvalRisk, approvalSummary ?? ""),
            ApprovalsUsed = StreamFields.Ids(approvalsUsed, "approvals_used"),
            Traceparent = traceparent ?? "",
            Tracestate = tracestate ?? "",
        };
    }

    private static IReadOnlyList<LlmCallUsage> ParseCalls(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return [];
        }
        try
        {
            return JsonSerializer.Deserialize(value, CoreJsonContext.Default.ListLlmCallUsage) ?? [];
        }
        catch (JsonException e)
        {
            throw new FormatException("Field 'calls' is not valid.", e);
        }
    }
}
