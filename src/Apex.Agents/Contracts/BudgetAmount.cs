using Apex.Core.Events;
using Apex.Core.Storage;

namespace Apex.Agents.Contracts;

/// <summary>An amount of every metered dimension, money in integer nano-dollars so sums stay exact.</summary>
public readonly record struct BudgetAmount(long Tokens, long CostNanos, long Calls)
{
    /// <summary>Nothing.</summary>
    public static BudgetAmount Zero => default;

    /// <summary>The amount a <see cref="UsageDelta"/> consumed.</summary>
    public static BudgetAmount Of(UsageDelta usage) =>
        new(usage.InputTokens + usage.OutputTokens, StoreValues.ToNanos(usage.CostUsd), usage.ApiCalls);

    /// <summary>Adds two amounts.</summary>
    public static BudgetAmount operator +(BudgetAmount left, BudgetAmount right) =>
        new(left.Tokens + right.Tokens, left.CostNanos + right.CostNanos, left.Calls + right.Calls);

    /// <summary>Subtracts two amounts.</summary>
    public static BudgetAmount operator -(BudgetAmount left, BudgetAmount right) =>
        new(left.Tokens - right.Tokens, left.CostNanos - right.CostNanos, left.Calls - right.Calls);

    /// <summary>Named alternative of <c>+</c>.</summary>
    public static BudgetAmount Add(BudgetAmount left, BudgetAmount right) => left + right;

    /// <summary>Named alternative of <c>-</c>.</summary>
    public static BudgetAmount Subtract(BudgetAmount left, BudgetAmount right) => left - right;
}
