using System.Diagnostics.Metrics;
using Apex.Agents.Contracts;
using Apex.Core.Events;

namespace Apex.Agents.Runtime;

/// <summary>
/// What agents do, recorded where they run (the API server in embedded mode, the worker processes in distributed mode),
/// on the meter <c>Apex.Agents</c>. Prometheus names: <c>apex_task_duration</c> (seconds, by <c>agent</c> and
/// <c>outcome</c>), <c>apex_llm_tokens_total</c> (by <c>model</c>, <c>agent</c> and <c>type</c> = input|output),
/// <c>apex_llm_cost_usd_total</c> and <c>apex_llm_calls_total</c> (by <c>model</c> and <c>agent</c>), and
/// <c>apex_contract_violations_total</c> (by <c>agent</c>, <c>code</c> and <c>scope</c> = task|dag).
/// </summary>
internal sealed class AgentMetrics
{
    /// <summary>The attempt returned an answer.</summary>
    public const string Succeeded = "succeeded";

    /// <summary>The attempt failed (provider error, contract violation, invalid output, crash).</summary>
    public const string Failed = "failed";

    /// <summary>The attempt stopped to wait for a human's approval.</summary>
    public const string AwaitingApproval = "awaiting_approval";

    /// <summary>The attempt was stopped from outside: cancelled, out of time, lease lost or shutdown.</summary>
    public const string Interrupted = "interrupted";

    // Unnamed units: the Prometheus exporter would append a unit suffix, and the seed's rules read apex_task_duration.
    private static readonly double[] DurationBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

    private readonly Histogram<double> _duration;
    private readonly Counter<long> _tokens;
    private readonly Counter<double> _cost;
    private readonly Counter<long> _calls;
    private readonly Counter<long> _violations;

    public AgentMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(AgentTelemetry.SourceName);
        _duration = meter.CreateHistogram("apex.task.duration", unit: null, "Time one attempt of a task spent running its agent, in seconds.",
            tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _tokens = meter.CreateCounter<long>("apex.llm.tokens", description: "Tokens the models used, by model, agent and type (input or output).");
        _cost = meter.CreateCounter<double>("apex.llm.cost.usd", description: "What the model calls cost, in US dollars, by model and agent.");
        _calls = meter.CreateCounter<long>("apex.llm.calls", description: "Calls sent to models, by model and agent.");
        _violations = meter.CreateCounter<long>("apex.contract.violations",
            description: "LLM calls refused because they could break a task's contract (scope task) or its DAG's budget (scope dag).");
    }

    /// <summary>Records one finished attempt: its duration and outcome, what each model it called spent, and the violation that stopped it.</summary>
    public void AttemptEnded(string agent, string outcome, TimeSpan duration, IReadOnlyList<LlmCallUsage> calls, ContractViolationException? violation)
    {
        var agentTag = new KeyValuePair<string, object?>("agent", agent);
        _duration.Record(duration.TotalSeconds, agentTag, new KeyValuePair<string, object?>("outcome", outcome));
        foreach (var call in calls)
        {
            var model = new KeyValuePair<string, object?>("model", call.Model);
            _tokens.Add(call.InputTokens, model, agentTag, new KeyValuePair<string, object?>("type", "input"));
            _tokens.Add(call.OutputTokens, model, agentTag, new KeyValuePair<string, object?>("type", "output"));
            _cost.Add((double)call.CostUsd, model, agentTag);
            _calls.Add(call.ApiCalls, model, agentTag);
        }
        if (violation is not null)
        {
            _violations.Add(1, agentTag, new KeyValuePair<string, object?>("code", violation.Code),
                new KeyValuePair<string, object?>("scope", violation.SharedBudget ? "dag" : "task"));
        }
    }
}
