using System.Collections.Concurrent;
using Apex.Core.Errors;
using Apex.Core.Tenants;
using Microsoft.Extensions.Options;

namespace Apex.Engine.Tenants;

/// <summary>
/// Admits a submission of n tasks against its tenant's queued-task and daily cost quotas. A tenant with neither limit
/// costs a dictionary read. Otherwise its usage is counted in the store at most once per
/// <see cref="QuotaOptions.UsageCacheTtl"/> per server, and this server's admissions are added in between; the
/// overshoot is bounded by what other servers admit within one TTL (docs/quotas.md).
/// </summary>
public sealed class TenantAdmission(TenantDirectory tenants, ITenantStore store, IOptions<QuotaOptions> options, TimeProvider time)
{
    /// <summary>The problem code of a submission over a tenant quota.</summary>
    public const string QuotaExceeded = "quota_exceeded";

    private readonly ConcurrentDictionary<string, Counted> _usage = new(StringComparer.Ordinal);

    /// <summary>Throws <see cref="ApexCapacityException"/> (429) when <paramref name="count"/> more tasks would exceed a quota.</summary>
    public async ValueTask AdmitAsync(string tenantId, int count, CancellationToken cancellationToken = default)
    {
        var quotas = tenants.Quotas(tenantId);
        if (quotas.QueuedTasks is null && quotas.CostPerDayUsd is null)
        {
            return;
        }
        var now = time.GetUtcNow();
        var midnight = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var counted = await CountAsync(tenantId, midnight, now, cancellationToken);
        if (quotas.CostPerDayUsd is { } budget && counted.CostTodayUsd >= budget)
        {
            throw new ApexCapacityException(QuotaExceeded,
                $"Tenant '{tenantId}' has spent ${counted.CostTodayUsd:0.######} today (UTC); its quota cost_per_day_usd is ${budget:0.######}. " +
                "Submissions are accepted again after UTC midnight.", midnight.AddDays(1) - now, "cost_per_day_usd");
        }
        if (quotas.QueuedTasks is { } max && !counted.TryReserve(count, max, out var held))
        {
            throw new ApexCapacityException(QuotaExceeded,
                $"Tenant '{tenantId}' has {held} tasks pending or queued; {count} more would exceed its quota queued_tasks of {max}.",
                options.Value.UsageCacheTtl < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : options.Value.UsageCacheTtl, "queued_tasks");
        }
    }

    /// <summary>Forgets the tenant's counts, so the next submission counts again (after its quotas changed).</summary>
    public void Forget(string tenantId) => _usage.TryRemove(tenantId, out _);

    private async ValueTask<Counted> CountAsync(string tenantId, DateTimeOffset midnight, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_usage.TryGetValue(tenantId, out var counted) && counted.Since == midnight && now - counted.At < options.Value.UsageCacheTtl)
        {
            return counted;
        }
        var usage = await store.GetTenantUsageAsync(tenantId, midnight, cancellationToken);
        counted = new Counted(usage.Queued, usage.CostTodayUsd, midnight, now);
        _usage[tenantId] = counted;
        return counted;
    }

    private sealed class Counted(long queued, decimal costTodayUsd, DateTimeOffset since, DateTimeOffset at)
    {
        private readonly Lock _lock = new();
        private long _queued = queued;

        public decimal CostTodayUsd { get; } = costTodayUsd;

        public DateTimeOffset Since { get; } = since;

        public DateTimeOffset At { get; } = at;

        public bool TryReserve(int count, int max, out long held)
        {
            lock (_lock)
            {
                held = _queued;
                if (_queued + count > max)
                {
                    return false;
                }
                _queued += count;
                return true;
            }
        }
    }
}
