using System.Collections.Concurrent;
using Apex.Core.Events;

namespace Apex.Agents.Runtime;

/// <summary>What the calls of one attempt spent, summed by model (every model of a cascade, every tool round).</summary>
internal sealed class AttemptCalls
{
    private readonly ConcurrentDictionary<string, LlmCallUsage> _byModel = new(StringComparer.Ordinal);

    /// <summary>Per-model sums.</summary>
    public IReadOnlyList<LlmCallUsage> ByModel => [.. _byModel.Values];

    /// <summary>The sum of <see cref="ByModel"/>.</summary>
    public UsageDelta Total => _byModel.Values.Aggregate(UsageDelta.None, (sum, c) =>
        new UsageDelta(sum.InputTokens + c.InputTokens, sum.OutputTokens + c.OutputTokens, sum.CostUsd + c.CostUsd, sum.ApiCalls + c.ApiCalls));

    /// <summary>Marks <paramref name="step"/>'s model line as that cascade decision (the router calls each model once).</summary>
    public void Mark(CascadeStep step)
    {
        if (_byModel.TryGetValue(step.Model, out var line))
        {
            _byModel[step.Model] = line with { Cascade = step };
        }
    }

    public void Add(LlmCallUsage call) =>
        _byModel.AddOrUpdate(call.Model, call, (_, c) => c with
        {
            InputTokens = c.InputTokens + call.InputTokens,
            OutputTokens = c.OutputTokens + call.OutputTokens,
            CostUsd = c.CostUsd + call.CostUsd,
            ApiCalls = c.ApiCalls + call.ApiCalls,
        });
}
