using Apex.Contracts.Tasks;
using Apex.Core.Events;

namespace Apex.Agents.Contracts;

/// <summary>A budget a task draws on besides its own limits: its DAG's, kept in <paramref name="Ledger"/> under <paramref name="Key"/>.</summary>
/// <param name="Ledger">Where the budget is counted.</param>
/// <param name="Key">The budget's key, e.g. <c>dag:{id}</c>.</param>
/// <param name="Limits">The budget's limits (the DAG's).</param>
/// <param name="Consumed">What the store says the budget has used so far; seeds the ledger the first time it sees the key.</param>
public sealed record SharedBudget(IBudgetLedger Ledger, string Key, TaskLimits Limits, UsageDelta Consumed);
