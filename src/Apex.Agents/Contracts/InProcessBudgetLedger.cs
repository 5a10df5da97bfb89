using Apex.Contracts.Tasks;
using Microsoft.Extensions.Options;

namespace Apex.Agents.Contracts;

/// <summary>
/// The <see cref="IBudgetLedger"/> of embedded mode: one lock over a dictionary, which is plenty for budgets touched
/// once per LLM call. A budget unused for <see cref="ContractOptions.SharedBudgetTtl"/> is forgotten.
/// </summary>
public sealed class InProcessBudgetLedger(IOptions<ContractOptions> options, TimeProvider timeProvider) : IBudgetLedger
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _budgets = new(StringComparer.Ordinal);
    private readonly TimeSpan _ttl = options.Value.SharedBudgetTtl;
    private DateTimeOffset _nextSweep = timeProvider.GetUtcNow() + options.Value.SharedBudgetTtl;

    /// <inheritdoc />
    public ValueTask<BudgetReserveResult> TryReserveAsync(string key, TaskLimits limits, BudgetAmount amount, BudgetAmount seed, CancellationToken cancellationToken = default)
    {
        var limit = BudgetLimits.From(limits);
        lock (_lock)
        {
            var entry = Touch(key, seed);
            var exceeded = limit.FirstExceeded(entry.Used + entry.Reserved, amount);
            if (exceeded is null)
            {
                entry.Reserved += amount;
            }
            return ValueTask.FromResult(new BudgetReserveResult(exceeded, new BudgetUsage(entry.Used, entry.Reserved)));
        }
    }

    /// <inheritdoc />
    public ValueTask<BudgetAmount> SettleAsync(string key, BudgetAmount reserved, BudgetAmount actual, BudgetAmount seed, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var entry = Touch(key, seed);
            var left = entry.Reserved - reserved;
            // A budget that expired and was re-seeded while the call ran does not hold its reservation any more.
            entry.Reserved = new BudgetAmount(Math.Max(0, left.Tokens), Math.Max(0, left.CostNanos), Math.Max(0, left.Calls));
            entry.Used += actual;
            return ValueTask.FromResult(entry.Used);
        }
    }

    /// <inheritdoc />
    public ValueTask<BudgetUsage?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_budgets.TryGetValue(key, out var entry) ? new BudgetUsage(entry.Used, entry.Reserved) : (BudgetUsage?)null);
        }
    }

    private Entry Touch(string key, BudgetAmount seed)
    {
        var now = timeProvider.GetUtcNow();
        if (now >= _nextSweep)
        {
            foreach (var (name, idle) in _budgets)
            {
                if (now - idle.TouchedAt >= _ttl)
                {
                    _budgets.Remove(name);
                }
            }
            _nextSweep = now + (_ttl / 4);
        }
        if (!_budgets.TryGetValue(key, out var entry))
        {
            entry = new Entry { Used = seed };
            _budgets[key] = entry;
        }
        entry.TouchedAt = now;
        return entry;
    }

    private sealed class Entry
    {
        public BudgetAmount Used { get; set; }

        public BudgetAmount Reserved { get; set; }

        public DateTimeOffset TouchedAt { get; set; }
    }
}
