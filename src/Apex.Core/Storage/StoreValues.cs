using System.Text.Json;
using Apex.Core.Agents;
using Apex.Core.Events;
using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;

namespace Apex.Core.Storage;

/// <summary>How every store writes statuses (their snake_case wire names) and money (integer nano-dollars).</summary>
public static class StoreValues
{
    private const decimal NanosPerDollar = 1_000_000_000m;

    /// <summary>The stored name of a task status.</summary>
    public static string Name(this TaskState state) => state switch
    {
        TaskState.Pending => "pending",
        TaskState.Queued => "queued",
        TaskState.Running => "running",
        TaskState.AwaitingApproval => "awaiting_approval",
        TaskState.Succeeded => "succeeded",
        TaskState.Failed => "failed",
        TaskState.Cancelled => "cancelled",
        TaskState.Skipped => "skipped",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    /// <summary>A task status from its stored name.</summary>
    public static TaskState ParseTaskState(string value) => value switch
    {
        "pending" => TaskState.Pending,
        "queued" => TaskState.Queued,
        "running" => TaskState.Running,
        "awaiting_approval" => TaskState.AwaitingApproval,
        "succeeded" => TaskState.Succeeded,
        "failed" => TaskState.Failed,
        "cancelled" => TaskState.Cancelled,
        "skipped" => TaskState.Skipped,
        _ => throw new FormatException($"Unknown task status '{value}'."),
    };

    /// <summary>The stored name of a DAG status.</summary>
    public static string Name(this DagState state) => state switch
    {
        DagState.Pending => "pending",
        DagState.Running => "running",
        DagState.Succeeded => "succeeded",
        DagState.Failed => "failed",
        DagState.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    /// <summary>A DAG status from its stored name.</summary>
    public static DagState ParseDagState(string value) => value switch
    {
        "pending" => DagState.Pending,
        "running" => DagState.Running,
        "succeeded" => DagState.Succeeded,
        "failed" => DagState.Failed,
        "cancelled" => DagState.Cancelled,
        _ => throw new FormatException($"Unknown DAG status '{value}'."),
    };

    /// <summary>The stored name of a failure policy.</summary>
    public static string Name(this FailurePolicy policy) => policy == FailurePolicy.Continue ? "continue" : "fail_fast";

    /// <summary>A failure policy from its stored name.</summary>
    public static FailurePolicy ParsePolicy(string value) => value == "continue" ? FailurePolicy.Continue : FailurePolicy.FailFast;

    /// <summary>Dollars as integer nano-dollars, so sums stay exact.</summary>
    public static long ToNanos(decimal dollars) => (long)decimal.Round(dollars * NanosPerDollar);

    /// <summary>Nano-dollars as dollars.</summary>
    public static decimal FromNanos(long nanos) => nanos / NanosPerDollar;

    /// <summary>An agent's settings as stored (JSON), or null for none.</summary>
    public static string? SettingsJson(AgentSettings settings) =>
        settings.Cascade.Count == 0 && settings.OutputSchema is null && settings.Tools.AllowedTools.Count == 0 && settings.Tools.McpServers.Count == 0
            && settings.Tools.MaxSteps == AgentToolSettings.DefaultMaxSteps
            ? null
            : JsonSerializer.Serialize(settings, CoreJsonContext.Default.AgentSettings);

    /// <summary>An agent's settings from the stored JSON; none when null.</summary>
    public static AgentSettings ParseSettings(string? json) =>
        string.IsNullOrEmpty(json) ? AgentSettings.None : JsonSerializer.Deserialize(json, CoreJsonContext.Default.AgentSettings) ?? AgentSettings.None;
}
