using Apex.Core.Storage;
using Apex.Core.Tenants;
using Microsoft.Data.Sqlite;

namespace Apex.Sqlite;

public sealed partial class SqliteApexStore : ITenantStore
{
    private const string TenantColumns =
        "tenant_id, state, requests_per_second, request_burst, queued_tasks, concurrent_runs, cost_per_day_nanousd, created_at, updated_at";

    /// <inheritdoc />
    public Task<IReadOnlyList<TenantRecord>> ListTenantsAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<TenantRecord>>(c =>
        {
            using var command = Command(c, $"SELECT {TenantColumns} FROM tenants ORDER BY tenant_id");
            using var reader = command.ExecuteReader();
            var tenants = new List<TenantRecord>();
            while (reader.Read())
            {
                tenants.Add(ReadTenant(reader));
            }
            return tenants;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<TenantRecord?> GetTenantAsync(string tenantId, CancellationToken cancellationToken = default) =>
        ReadAsync(c =>
        {
            using var command = Command(c, $"SELECT {TenantColumns} FROM tenants WHERE tenant_id = $tenant", ("$tenant", tenantId));
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadTenant(reader) : null;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<TenantRecord> SetTenantQuotasAsync(string tenantId, TenantQuotas quotas, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        WriteAsync(ctx =>
        {
            using var reader = ctx.Query($"""
                INSERT INTO tenants ({TenantColumns}) VALUES ($tenant, 'active', $rps, $burst, $queued, $runs, $cost, $now, $now)
                ON CONFLICT (tenant_id) DO UPDATE SET requests_per_second = excluded.requests_per_second, request_burst = excluded.request_burst,
                    queued_tasks = excluded.queued_tasks, concurrent_runs = excluded.concurrent_runs,
                    cost_per_day_nanousd = excluded.cost_per_day_nanousd, updated_at = excluded.updated_at
                RETURNING {TenantColumns}
                """, ("$tenant", tenantId), ("$rps", quotas.RequestsPerSecond), ("$burst", quotas.RequestBurst), ("$queued", quotas.QueuedTasks),
                ("$runs", quotas.ConcurrentRuns), ("$cost", quotas.CostPerDayUsd is { } cost ? StoreValues.ToNanos(cost) : null),
                ("$now", now.ToUnixTimeMilliseconds()));
            reader.Read();
            return ReadTenant(reader);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<TenantRecord> SetTenantStateAsync(string tenantId, TenantState state, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        WriteAsync(ctx =>
        {
            using var reader = ctx.Query($"""
                INSERT INTO tenants ({TenantColumns}) VALUES ($tenant, $state, NULL, NULL, NULL, NULL, NULL, $now, $now)
                ON CONFLICT (tenant_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
                RETURNING {TenantColumns}
                """, ("$tenant", tenantId), ("$state", state.Name()), ("$now", now.ToUnixTimeMilliseconds()));
            reader.Read();
            return ReadTenant(reader);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<TenantUsage> GetTenantUsageAsync(string tenantId, DateTimeOffset since, CancellationToken cancellationToken = default) =>
        ReadAsync(c =>
        {
            using var command = Command(c, """
                SELECT (SELECT count(*) FROM tasks WHERE status IN ('pending', 'queued') AND tenant_id = $tenant),
                       (SELECT count(*) FROM tasks WHERE status = 'running' AND tenant_id = $tenant),
                       (SELECT coalesce(sum(cost_nanousd), 0) FROM llm_usage WHERE tenant_id = $tenant AND created_at >= $since)
                """, ("$tenant", tenantId), ("$since", since.ToUnixTimeMilliseconds()));
            using var reader = command.ExecuteReader();
            reader.Read();
            return new TenantUsage(reader.GetInt64(0), reader.GetInt64(1), StoreValues.FromNanos(reader.GetInt64(2)));
        }, cancellationToken);

    private static TenantRecord ReadTenant(SqliteDataReader r) => new()
    {
        TenantId = r.GetString(0),
        State = TenantStates.Parse(r.GetString(1)),
        Quotas = TenantRows.ReadQuotas(r, 2),
        CreatedAt = Rows.Time(r.GetInt64(7)),
        UpdatedAt = Rows.Time(r.GetInt64(8)),
    };
}
