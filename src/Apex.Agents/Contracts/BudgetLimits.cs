using Apex.Contracts.Tasks;
using Apex.Core.Storage;

namespace Apex.Agents.Contracts;

/// <summary>The metered limits of a <see cref="TaskLimits"/>, money in nano-dollars; null means unlimited.</summary>
public readonly record struct BudgetLimits(long? Tokens, long? CostNanos, long? Calls)
{
    /// <summary>The metered part of <paramref name="limits"/>.</summary>
    public static BudgetLimits From(TaskLimits limits) =>
        new(limits.TokenLimit, limits.CostLimit is { } cost ? StoreValues.ToNanos(cost) : null, limits.ApiCallLimit);

    /// <summary>
    /// The first dimension in which <paramref name="committed"/> (used plus reserved) plus <paramref name="amount"/>
    /// would pass its limit, or null when it fits.
    /// </summary>
    public ContractDimension? FirstExceeded(BudgetAmount committed, BudgetAmount amount)
    {
        if (Tokens is { } tokens && committed.Tokens + amount.Tokens > tokens)
        {
            return ContractDimension.Tokens;
        }
        if (CostNanos is { } cost && committed.CostNanos + amount.CostNanos > cost)
        {
            return ContractDimension.Cost;
        }
        if (Calls is { } calls && committed.Calls + amount.Calls > calls)
        {
            return ContractDimension.ApiCalls;
        }
        return null;
    }
}
