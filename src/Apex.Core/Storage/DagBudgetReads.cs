using Apex.Contracts.Tasks;
using Apex.Core.Events;

namespace Apex.Core.Storage;

/// <summary>Reads a DAG's shared budget the way every dispatcher needs it.</summary>
public static class DagBudgetReads
{
    /// <summary>The limits of a DAG and what its tasks have spent so far; null when the DAG has no limits (or is gone).</summary>
    public static async Task<(TaskLimits Limits, UsageDelta Used)?> GetDagBudgetAsync(this IApexStore store, string tenantId, Guid dagId,
        CancellationToken cancellationToken = default)
    {
        if (await store.GetDagAsync(tenantId, dagId, cancellationToken) is not { Limits: { } limits })
        {
            return null;
        }
        var used = await store.GetDagUsageAsync(tenantId, dagId, cancellationToken);
        return (limits, new UsageDelta(used.InputTokens, used.OutputTokens, used.CostUsd, (int)used.ApiCalls));
    }
}
