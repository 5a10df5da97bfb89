namespace Apex.Agents.Contracts;

/// <summary>
/// A task crossed <paramref name="ThresholdPercent"/> (70 or 90) of one of its limits, or, with
/// <paramref name="SharedBudget"/>, a call of the task took its DAG's shared budget across it (once per DAG, on any
/// worker). <paramref name="Used"/> and <paramref name="Limit"/> are tokens, US dollars or calls, by
/// <paramref name="Dimension"/>, counting earlier attempts.
/// </summary>
public sealed record ContractWarning(ContractDimension Dimension, int ThresholdPercent, decimal Used, decimal Limit, bool SharedBudget = false);
