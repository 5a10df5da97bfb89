namespace Apex.Agents.Contracts;

/// <summary>What <see cref="ContractMeter.ReserveAsync"/> set aside for one call; settle or release it exactly once.</summary>
public sealed class ContractReservation
{
    private int _closed;

    internal ContractReservation(CallEstimate estimate, BudgetAmount amount)
    {
        Estimate = estimate;
        Amount = amount;
    }

    /// <summary>The call as estimated.</summary>
    public CallEstimate Estimate { get; }

    /// <summary>Tokens (input estimate + max output), nano-dollars and the one call reserved.</summary>
    public BudgetAmount Amount { get; }

    internal void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            throw new InvalidOperationException("The reservation was already settled or released.");
        }
    }
}
