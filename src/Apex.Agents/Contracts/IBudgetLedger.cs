using Apex.Contracts.Tasks;

namespace Apex.Agents.Contracts;

/// <summary>
/// Budgets shared by several tasks (a DAG's), counted atomically: in process in embedded mode, in Redis across
/// workers in distributed mode.
/// </summary>
/// <remarks>
/// <c>seed</c> is what the budget had already used before this process knew it (from the store); it is applied
/// only by the operation that finds the key absent, so a restart, or an expired key, starts from the stored usage.
/// </remarks>
public interface IBudgetLedger
{
    /// <summary>
    /// Reserves <paramref name="amount"/> if used + reserved + amount fits every limit of <paramref name="limits"/>;
    /// otherwise reserves nothing and names the first dimension that would overflow.
    /// </summary>
    ValueTask<BudgetReserveResult> TryReserveAsync(string key, TaskLimits limits, BudgetAmount amount, BudgetAmount seed, CancellationToken cancellationToken = default);

    /// <summary>
    /// Releases <paramref name="reserved"/> and adds <paramref name="actual"/> to the used amount, even when it is larger;
    /// returns the used amount right after, so the one settlement that crosses a threshold can tell.
    /// </summary>
    ValueTask<BudgetAmount> SettleAsync(string key, BudgetAmount reserved, BudgetAmount actual, BudgetAmount seed, CancellationToken cancellationToken = default);

    /// <summary>The budget's state, or null when the ledger does not know <paramref name="key"/> (never used, or expired).</summary>
    ValueTask<BudgetUsage?> GetAsync(string key, CancellationToken cancellationToken = default);
}
