namespace Apex.Agents.Contracts;

/// <summary>The answer of <see cref="IBudgetLedger.TryReserveAsync"/>: granted, or the dimension that ran out, and the budget after it.</summary>
public readonly record struct BudgetReserveResult(ContractDimension? Exceeded, BudgetUsage Usage)
{
    /// <summary>True when the amount was reserved.</summary>
    public bool Granted => Exceeded is null;
}
