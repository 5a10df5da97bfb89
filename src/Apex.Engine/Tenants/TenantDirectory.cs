using System.Collections.Immutable;
using Apex.Core.Storage;
using Apex.Core.Tenants;
using Microsoft.Extensions.Options;

namespace Apex.Engine.Tenants;

/// <summary>
/// Every tenant row in memory, with its quotas in force, so the request path reads a dictionary and never the store.
/// Reloaded whole every <see cref="QuotaOptions.TenantCacheTtl"/> and one tenant at once when a change is heard (this
/// server's or, through the cache invalidation channel, another's). A tenant without a row is active with the defaults.
/// </summary>
public sealed class TenantDirectory(ITenantStore store, IOptions<QuotaOptions> options)
{
    private readonly TenantQuotas _defaults = TenantQuotas.None.Over(options.Value.Defaults());
    private ImmutableDictionary<string, Entry> _entries = ImmutableDictionary.Create<string, Entry>(StringComparer.Ordinal);
    private ConcurrencyCaps? _caps;

    /// <summary>Raised after a tenant's row changed here (its quotas may be higher now).</summary>
    public event Action? Changed;

    /// <summary>The quotas of a tenant without overrides.</summary>
    public TenantQuotas Defaults => _defaults;

    /// <summary>The tenant's row (a default one when it has none).</summary>
    public TenantRecord Get(string tenantId) =>
        Volatile.Read(ref _entries).TryGetValue(tenantId, out var entry) ? entry.Row : TenantRecord.Default(tenantId);

    /// <summary>The tenant's quotas in force (null: unlimited).</summary>
    public TenantQuotas Quotas(string tenantId) =>
        Volatile.Read(ref _entries).TryGetValue(tenantId, out var entry) ? entry.Quotas : _defaults;

    /// <summary>Whether the tenant's keys and tokens are refused.</summary>
    public bool IsSuspended(string tenantId) =>
        Volatile.Read(ref _entries).TryGetValue(tenantId, out var entry) && entry.Row.State == TenantState.Suspended;

    /// <summary>The tenant's cap on running tasks, <see cref="int.MaxValue"/> when unlimited.</summary>
    public int ConcurrentRunsOf(string tenantId) => Quotas(tenantId).ConcurrentRuns ?? int.MaxValue;

    /// <summary>Every tenant's cap on running tasks, for a claim that must respect them (rebuilt after a change).</summary>
    public ConcurrencyCaps Caps()
    {
        if (Volatile.Read(ref _caps) is { } caps)
        {
            return caps;
        }
        var built = new ConcurrencyCaps(_defaults.ConcurrentRuns ?? int.MaxValue,
            Volatile.Read(ref _entries).Where(e => e.Value.Quotas.ConcurrentRuns != _defaults.ConcurrentRuns)
                .ToDictionary(e => e.Key, e => e.Value.Quotas.ConcurrentRuns ?? int.MaxValue, StringComparer.Ordinal));
        Volatile.Write(ref _caps, built);
        return built;
    }

    /// <summary>Reads every row from the store.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        var rows = await store.ListTenantsAsync(cancellationToken);
        Volatile.Write(ref _entries, rows.ToImmutableDictionary(r => r.TenantId, ToEntry, StringComparer.Ordinal));
        Volatile.Write(ref _caps, null);
        Changed?.Invoke();
    }

    /// <summary>Re-reads one tenant's row (after a change, here or on another server).</summary>
    public async Task RefreshAsync(string tenantId, CancellationToken cancellationToken = default) =>
        Apply(await store.GetTenantAsync(tenantId, cancellationToken) ?? TenantRecord.Default(tenantId));

    /// <summary>Takes a row this server has just written.</summary>
    public void Apply(TenantRecord row)
    {
        ImmutableInterlocked.AddOrUpdate(ref _entries, row.TenantId, ToEntry(row), (_, _) => ToEntry(row));
        Volatile.Write(ref _caps, null);
        Changed?.Invoke();
    }

    private Entry ToEntry(TenantRecord row) => new(row, row.Quotas.Over(options.Value.Defaults()));

    private sealed record Entry(TenantRecord Row, TenantQuotas Quotas);
}
