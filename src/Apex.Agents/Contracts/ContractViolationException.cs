using Apex.Agents.Runtime;

namespace Apex.Agents.Contracts;

/// <summary>
/// The next LLM call could break the task's contract or its DAG's shared budget, so it was not made. Not retryable:
/// another attempt starts from the same usage.
/// </summary>
public sealed class ContractViolationException(ContractDimension dimension, bool sharedBudget, string message)
    : AgentExecutionException(ContractErrorCodes.Of(dimension), message, retryable: false)
{
    /// <summary>The dimension that ran out.</summary>
    public ContractDimension Dimension { get; } = dimension;

    /// <summary>True when the shared (DAG) budget ran out rather than the task's own limit.</summary>
    public bool SharedBudget { get; } = sharedBudget;
}
