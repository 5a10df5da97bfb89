namespace Apex.Agents.Contracts;

/// <summary>
/// A task crossed <paramref name="ThresholdPercent"/> (70 or 90) of one of its limits. <paramref name="Used"/> and
/// <paramref name="Limit"/> are tokens, US dollars or calls, by <paramref name="Dimension"/>, counting earlier attempts.
/// </summary>
public sealed record ContractWarning(ContractDimension Dimension, int ThresholdPercent, decimal Used, decimal Limit);
