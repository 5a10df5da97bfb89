using Apex.Core.Security;
using Microsoft.Data.Sqlite;

namespace Apex.Sqlite;

public sealed partial class SqliteApexStore : IApiKeyStore
{
    private const string KeyColumns = "id, tenant_id, prefix, hash, name, roles, created_at, expires_at, revoked_at, last_used_at";

    /// <inheritdoc />
    public Task CreateApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken = default) =>
        WriteAsync(ctx => ctx.Execute($"""
            INSERT INTO api_keys ({KeyColumns}) VALUES ($id, $tenant, $prefix, $hash, $name, $roles, $created, $expires, NULL, NULL)
            """,
            ("$id", key.Id.ToString()), ("$tenant", key.TenantId), ("$prefix", key.Prefix), ("$hash", key.Hash), ("$name", key.Name),
            ("$roles", string.Join(',', key.Roles)), ("$created", key.CreatedAt.ToUnixTimeMilliseconds()),
            ("$expires", key.ExpiresAt?.ToUnixTimeMilliseconds())), cancellationToken);

    /// <inheritdoc />
    public Task<ApiKeyRecord?> FindApiKeyAsync(string prefix, CancellationToken cancellationToken = default) =>
        ReadAsync(c =>
        {
            using var command = Command(c, $"SELECT {KeyColumns} FROM api_keys WHERE prefix = $prefix", ("$prefix", prefix));
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadKey(reader) : null;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string tenantId, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<ApiKeyRecord>>(c =>
        {
            using var command = Command(c, $"SELECT {KeyColumns} FROM api_keys WHERE tenant_id = $tenant ORDER BY created_at DESC, id DESC",
                ("$tenant", tenantId));
            using var reader = command.ExecuteReader();
            var keys = new List<ApiKeyRecord>();
            while (reader.Read())
            {
                keys.Add(ReadKey(reader));
            }
            return keys;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<ApiKeyRecord?> RevokeApiKeyAsync(string tenantId, Guid keyId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default) =>
        WriteAsync(ctx =>
        {
            ctx.Execute("UPDATE api_keys SET revoked_at = $at WHERE id = $id AND tenant_id = $tenant AND revoked_at IS NULL",
                ("$at", revokedAt.ToUnixTimeMilliseconds()), ("$id", keyId.ToString()), ("$tenant", tenantId));
            using var reader = ctx.Query($"SELECT {KeyColumns} FROM api_keys WHERE id = $id AND tenant_id = $tenant",
                ("$id", keyId.ToString()), ("$tenant", tenantId));
            return reader.Read() ? ReadKey(reader) : null;
        }, cancellationToken);

    /// <inheritdoc />
    public Task TouchApiKeysAsync(IReadOnlyCollection<(Guid KeyId, DateTimeOffset UsedAt)> uses, CancellationToken cancellationToken = default) =>
        WriteAsync(ctx =>
        {
            foreach (var (keyId, usedAt) in uses)
            {
                ctx.Execute("UPDATE api_keys SET last_used_at = $at WHERE id = $id AND (last_used_at IS NULL OR last_used_at < $at)",
                    ("$at", usedAt.ToUnixTimeMilliseconds()), ("$id", keyId.ToString()));
            }
            return uses.Count;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<bool> AnyApiKeyAsync(CancellationToken cancellationToken = default) =>
        ReadAsync(c =>
        {
            using var command = Command(c, "SELECT EXISTS (SELECT 1 FROM api_keys)");
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1;
        }, cancellationToken);

    private static ApiKeyRecord ReadKey(SqliteDataReader r) => new()
    {
        Id = Guid.Parse(r.GetString(0)),
        TenantId = r.GetString(1),
        Prefix = r.GetString(2),
        Hash = (byte[])r.GetValue(3),
        Name = r.GetString(4),
        Roles = r.GetString(5).Split(',', StringSplitOptions.RemoveEmptyEntries),
        CreatedAt = Rows.Time(r.GetInt64(6)),
        ExpiresAt = Rows.TimeOrNull(r, 7),
        RevokedAt = Rows.TimeOrNull(r, 8),
        LastUsedAt = Rows.TimeOrNull(r, 9),
    };
}
