using System.Data.Common;
using Apex.Core.Storage;

namespace Apex.Core.Tenants;

/// <summary>How every store reads the quota columns of a tenant row (the same types in each).</summary>
public static class TenantRows
{
    /// <summary>
    /// The overrides in the five columns from <paramref name="first"/>: requests_per_second (double), request_burst,
    /// queued_tasks, concurrent_runs (integers) and cost_per_day_nanousd (a long of nano-dollars); null where NULL.
    /// </summary>
    public static TenantQuotas ReadQuotas(DbDataReader r, int first) => new()
    {
        RequestsPerSecond = r.IsDBNull(first) ? null : r.GetDouble(first),
        RequestBurst = r.IsDBNull(first + 1) ? null : r.GetInt32(first + 1),
        QueuedTasks = r.IsDBNull(first + 2) ? null : r.GetInt32(first + 2),
        ConcurrentRuns = r.IsDBNull(first + 3) ? null : r.GetInt32(first + 3),
        CostPerDayUsd = r.IsDBNull(first + 4) ? null : StoreValues.FromNanos(r.GetInt64(first + 4)),
    };
}
