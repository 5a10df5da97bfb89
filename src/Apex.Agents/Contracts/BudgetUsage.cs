namespace Apex.Agents.Contracts;

/// <summary>What a shared budget has used (settled calls) and holds in reservations (calls in flight).</summary>
public readonly record struct BudgetUsage(BudgetAmount Used, BudgetAmount Reserved);
