using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Core.Tasks;

namespace Apex.Core.Dags;

/// <summary>The rule that a DAG task's limits may not exceed what its DAG has left.</summary>
public static class DagBudget
{
    /// <summary>
    /// The effective limits of a child of a DAG whose limits are <paramref name="dagLimits"/> and which has used
    /// <paramref name="dagUsed"/>. A limit the child asks for must fit what the DAG has left of it, else an error is
    /// added under <paramref name="field"/>; a limit it leaves unset defaults as <see cref="LimitPresets.Resolve"/>
    /// would (from <paramref name="fallback"/>, then the medium preset) and is lowered to what the DAG has left. The
    /// time limit is per attempt and is capped by the DAG's, which has no usage. A dimension the DAG has used up is
    /// an error whether the child asks for it or not.
    /// </summary>
    public static TaskLimits ResolveChild(
        TaskLimits dagLimits, UsageDelta dagUsed, TaskLimits? requested, TaskLimits? fallback, string field, Dictionary<string, string[]> errors)
    {
        var defaults = LimitPresets.Resolve(null, fallback);
        return new TaskLimits
        {
            TokenLimit = Fit(dagLimits.TokenLimit - (dagUsed.InputTokens + dagUsed.OutputTokens), requested?.TokenLimit, defaults.TokenLimit!.Value, field + ".token_limit", errors),
            CostLimit = Fit(dagLimits.CostLimit - dagUsed.CostUsd, requested?.CostLimit, defaults.CostLimit!.Value, field + ".cost_limit", errors),
            TimeLimitSeconds = Fit(dagLimits.TimeLimitSeconds, requested?.TimeLimitSeconds, defaults.TimeLimitSeconds!.Value, field + ".time_limit_seconds", errors),
            ApiCallLimit = Fit(dagLimits.ApiCallLimit - dagUsed.ApiCalls, requested?.ApiCallLimit, defaults.ApiCallLimit!.Value, field + ".api_call_limit", errors),
        };
    }

    private static T Fit<T>(T? left, T? requested, T fallback, string field, Dictionary<string, string[]> errors)
        where T : struct, IComparable<T>
    {
        if (left is not { } remaining)
        {
            return requested ?? fallback;
        }
        if (remaining.CompareTo(default) <= 0)
        {
            errors[field] = ["The DAG's budget for this is used up."];
            return remaining;
        }
        if (requested is { } asked)
        {
            if (asked.CompareTo(remaining) > 0)
            {
                errors[field] = [$"At most {remaining}: what the DAG has left."];
            }
            return asked;
        }
        return fallback.CompareTo(remaining) > 0 ? remaining : fallback;
    }
}
