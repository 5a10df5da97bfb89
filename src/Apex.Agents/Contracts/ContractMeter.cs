using Apex.Agents.Pricing;
using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Core.Storage;

namespace Apex.Agents.Contracts;

/// <summary>
/// Meters one attempt of a task against its contract (and its DAG's shared budget): every LLM call reserves its
/// worst case first and is refused, with a <see cref="ContractViolationException"/> and without being made, when that
/// does not fit what is left; after the call the reservation is settled with what the provider reported.
/// </summary>
/// <remarks>
/// A call that uses more than it reserved is recorded as it was, so usage passes a limit by at most one call's excess.
/// Once a call is refused every later one is refused too. Thread-safe.
/// </remarks>
public sealed class ContractMeter
{
    private static readonly int[] ThresholdPercents = [70, 90];

    private readonly Lock _lock = new();
    private readonly BudgetLimits _limits;
    private readonly BudgetAmount _before;
    private readonly PricingOptions _pricing;
    private readonly Func<ContractWarning, CancellationToken, ValueTask>? _warnings;
    private readonly SharedBudget? _shared;
    private readonly BudgetAmount _sharedSeed;
    private readonly HashSet<(ContractDimension, int)> _warned = [];
    private BudgetAmount _used;
    private BudgetAmount _reserved;
    private long _inputTokens;
    private long _outputTokens;
    private ContractViolationException? _violation;

    /// <summary>Creates the meter of one attempt.</summary>
    /// <param name="limits">The task's resolved limits.</param>
    /// <param name="consumed">What the task's earlier attempts used; it counts against the limits, and warnings it already crossed are not repeated.</param>
    /// <param name="model">The model that prices a call whose options and client name none.</param>
    /// <param name="pricing">Prices of the models.</param>
    /// <param name="options">Metering settings.</param>
    /// <param name="warnings">Receives each 70 % and 90 % warning once per task.</param>
    /// <param name="shared">The DAG's budget, when the task belongs to a DAG with limits.</param>
    public ContractMeter(
        TaskLimits limits,
        UsageDelta consumed,
        string model,
        PricingOptions pricing,
        ContractOptions options,
        Func<ContractWarning, CancellationToken, ValueTask>? warnings = null,
        SharedBudget? shared = null)
    {
        _limits = BudgetLimits.From(limits);
        _before = BudgetAmount.Of(consumed);
        Model = model;
        _pricing = pricing;
        DefaultMaxOutputTokens = options.DefaultMaxOutputTokens;
        _warnings = warnings;
        _shared = shared;
        _sharedSeed = shared is null ? BudgetAmount.Zero : BudgetAmount.Of(shared.Consumed);
        Crossed();
    }

    /// <summary>The model that prices a call whose options and client name none.</summary>
    public string Model { get; }

    /// <summary>Output tokens reserved for a call without <c>ChatOptions.MaxOutputTokens</c>.</summary>
    public int DefaultMaxOutputTokens { get; }

    /// <summary>What this attempt has used (settled calls only): the attempt's <see cref="UsageDelta"/>.</summary>
    public UsageDelta Usage
    {
        get
        {
            lock (_lock)
            {
                return new UsageDelta(_inputTokens, _outputTokens, StoreValues.FromNanos(_used.CostNanos), checked((int)_used.Calls));
            }
        }
    }

    /// <summary>The violation that stopped this attempt, if one did.</summary>
    public ContractViolationException? Violation
    {
        get
        {
            lock (_lock)
            {
                return _violation;
            }
        }
    }

    /// <summary>Reserves the worst case of a call before it is made.</summary>
    /// <exception cref="ContractViolationException">The call does not fit what the task or its DAG has left; do not make it.</exception>
    public async ValueTask<ContractReservation> ReserveAsync(CallEstimate estimate, CancellationToken cancellationToken = default)
    {
        var amount = new BudgetAmount(
            estimate.InputTokens + estimate.MaxOutputTokens, CostNanos(estimate.ModelId, estimate.InputTokens, estimate.MaxOutputTokens), 1);
        lock (_lock)
        {
            if (_violation is not null)
            {
                throw _violation;
            }
            var committed = _before + _used + _reserved;
            if (_limits.FirstExceeded(committed, amount) is { } dimension)
            {
                throw _violation = Refused(dimension, sharedBudget: false, _limits, committed, amount);
            }
            _reserved += amount;
        }
        if (_shared is null)
        {
            return new ContractReservation(estimate, amount);
        }

        var granted = false;
        try
        {
            var result = await _shared.Ledger.TryReserveAsync(_shared.Key, _shared.Limits, amount, _sharedSeed, cancellationToken);
            if (result.Exceeded is { } exceeded)
            {
                var refused = Refused(exceeded, sharedBudget: true, BudgetLimits.From(_shared.Limits), result.Usage.Used + result.Usage.Reserved, amount);
                lock (_lock)
                {
                    throw _violation ??= refused;
                }
            }
            granted = true;
        }
        finally
        {
            if (!granted)
            {
                lock (_lock)
                {
                    _reserved -= amount;
                }
            }
        }
        return new ContractReservation(estimate, amount);
    }

    /// <summary>Settles a call that was made with what it used; tokens not used go back to the budget.</summary>
    public ValueTask SettleAsync(ContractReservation reservation, long inputTokens, long outputTokens, CancellationToken cancellationToken = default)
    {
        var actual = new BudgetAmount(inputTokens + outputTokens, CostNanos(reservation.Estimate.ModelId, inputTokens, outputTokens), 1);
        return CloseAsync(reservation, inputTokens, outputTokens, actual, cancellationToken);
    }

    /// <summary>Releases the reservation of a call that failed; the call still counts when its request was sent.</summary>
    public ValueTask ReleaseAsync(ContractReservation reservation, bool requestSent, CancellationToken cancellationToken = default) =>
        CloseAsync(reservation, 0, 0, new BudgetAmount(0, 0, requestSent ? 1 : 0), cancellationToken);

    private async ValueTask CloseAsync(ContractReservation reservation, long inputTokens, long outputTokens, BudgetAmount actual, CancellationToken cancellationToken)
    {
        reservation.Close();
        List<ContractWarning>? crossed;
        lock (_lock)
        {
            _reserved -= reservation.Amount;
            _used += actual;
            _inputTokens += inputTokens;
            _outputTokens += outputTokens;
            crossed = Crossed();
        }
        if (_shared is not null)
        {
            var after = await _shared.Ledger.SettleAsync(_shared.Key, reservation.Amount, actual, _sharedSeed, cancellationToken);
            // The settlement that moves the DAG's count across a threshold is the only one to see it crossed: one
            // warning per DAG and threshold, whichever task and worker made the call.
            var before = after - actual;
            var shared = BudgetLimits.From(_shared.Limits);
            Thresholds(ContractDimension.Tokens, shared.Tokens, before.Tokens, after.Tokens, _ => true, tokens => tokens, sharedBudget: true, ref crossed);
            Thresholds(ContractDimension.Cost, shared.CostNanos, before.CostNanos, after.CostNanos, _ => true, StoreValues.FromNanos, sharedBudget: true, ref crossed);
            Thresholds(ContractDimension.ApiCalls, shared.Calls, before.Calls, after.Calls, _ => true, calls => calls, sharedBudget: true, ref crossed);
        }
        if (_warnings is not null && crossed is not null)
        {
            foreach (var warning in crossed)
            {
                await _warnings(warning, cancellationToken);
            }
        }
    }

    /// <summary>Marks the thresholds the task's usage has crossed and returns those not marked before. Call under the lock.</summary>
    private List<ContractWarning>? Crossed()
    {
        var total = _before + _used;
        List<ContractWarning>? crossed = null;
        // The task's own thresholds: the first time its usage is at or past one (earlier attempts count, and mark).
        Thresholds(ContractDimension.Tokens, _limits.Tokens, null, total.Tokens, _warned.Add, tokens => tokens, sharedBudget: false, ref crossed);
        Thresholds(ContractDimension.Cost, _limits.CostNanos, null, total.CostNanos, _warned.Add, StoreValues.FromNanos, sharedBudget: false, ref crossed);
        Thresholds(ContractDimension.ApiCalls, _limits.Calls, null, total.Calls, _warned.Add, calls => calls, sharedBudget: false, ref crossed);
        return crossed;
    }

    /// <summary>
    /// Adds a warning for each threshold of <paramref name="limit"/> that usage reaches at <paramref name="after"/>
    /// but had not reached at <paramref name="before"/> (null: unknown), and that <paramref name="first"/> lets through.
    /// </summary>
    private static void Thresholds(ContractDimension dimension, long? limit, long? before, long after, Func<(ContractDimension, int), bool> first,
        Func<long, decimal> unit, bool sharedBudget, ref List<ContractWarning>? crossed)
    {
        if (limit is not { } max || max <= 0)
        {
            return;
        }
        foreach (var percent in ThresholdPercents)
        {
            var mark = max * percent;
            if (after * 100 >= mark && (before is not { } previous || previous * 100 < mark) && first((dimension, percent)))
            {
                (crossed ??= []).Add(new ContractWarning(dimension, percent, unit(after), unit(max), sharedBudget));
            }
        }
    }

    private long CostNanos(string model, long inputTokens, long outputTokens) =>
        StoreValues.ToNanos(_pricing.CostOf(model, inputTokens, outputTokens));

    private static ContractViolationException Refused(ContractDimension dimension, bool sharedBudget, BudgetLimits limits, BudgetAmount committed, BudgetAmount amount)
    {
        var whose = sharedBudget ? "The DAG's shared budget" : "The task's limit";
        var message = dimension switch
        {
            ContractDimension.Tokens =>
                $"{whose} of {limits.Tokens} tokens has {Math.Max(0, limits.Tokens!.Value - committed.Tokens)} left; the next LLM call could use {amount.Tokens}.",
            ContractDimension.Cost =>
                $"{whose} of ${StoreValues.FromNanos(limits.CostNanos!.Value)} has ${StoreValues.FromNanos(Math.Max(0, limits.CostNanos.Value - committed.CostNanos))} left; the next LLM call could cost ${StoreValues.FromNanos(amount.CostNanos)}.",
            _ => $"{whose} of {limits.Calls} API calls is used up.",
        };
        return new ContractViolationException(dimension, sharedBudget, message);
    }
}
