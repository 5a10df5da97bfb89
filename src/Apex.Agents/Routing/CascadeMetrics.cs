using System.Diagnostics.Metrics;
using Apex.Agents.Runtime;

namespace Apex.Agents.Routing;

/// <summary>
/// Counter of cascade decisions (meter <c>Apex.Agents</c>, instrument <c>apex.cascade.decisions</c>; Prometheus name
/// <c>apex_cascade_decisions_total</c>), tagged <c>model</c>, <c>outcome</c> (<see cref="CascadeOutcomes"/>) and
/// <c>reason</c> (<see cref="ScoreReasons"/> or <c>provider_error:&lt;code&gt;</c>).
/// </summary>
internal sealed class CascadeMetrics
{
    private readonly Counter<long> _decisions;

    public CascadeMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(AgentTelemetry.SourceName);
        _decisions = meter.CreateCounter<long>("apex.cascade.decisions", "{decision}", "Models tried by cascades, by outcome.");
    }

    public void Decided(CascadeDecision decision) => _decisions.Add(
        1,
        new KeyValuePair<string, object?>("model", decision.Model),
        new KeyValuePair<string, object?>("outcome", decision.Outcome),
        new KeyValuePair<string, object?>("reason", decision.Reason));
}
