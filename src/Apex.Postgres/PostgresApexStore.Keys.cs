using Apex.Core.Security;
using Npgsql;

namespace Apex.Postgres;

public sealed partial class PostgresApexStore : IApiKeyStore
{
    private const string KeyColumns = "id, tenant_id, prefix, hash, name, roles, created_at, expires_at, revoked_at, last_used_at";

    /// <inheritdoc />
    public Task CreateApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken = default) =>
        WriteAsync(WriteKey.None, ctx => ctx.ExecuteAsync($"""
            INSERT INTO api_keys ({KeyColumns}) VALUES (@id, @tenant, @prefix, @hash, @name, @roles, @created, @expires, NULL, NULL)
            """,
            ("id", key.Id), ("tenant", key.TenantId), ("prefix", key.Prefix), ("hash", key.Hash), ("name", key.Name),
            ("roles", string.Join(',', key.Roles)), ("created", Rows.Truncate(key.CreatedAt)),
            ("expires", key.ExpiresAt is { } expires ? Rows.Truncate(expires) : null)), cancellationToken);

    /// <inheritdoc />
    public Task<ApiKeyRecord?> FindApiKeyAsync(string prefix, CancellationToken cancellationToken = default) =>
        ReadAsync(async c =>
        {
            await using var command = Command(c, $"SELECT {KeyColumns} FROM api_keys WHERE prefix = @prefix", ("prefix", prefix));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? ReadKey(reader) : null;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string tenantId, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<ApiKeyRecord>>(async c =>
        {
            await using var command = Command(c, $"SELECT {KeyColumns} FROM api_keys WHERE tenant_id = @tenant ORDER BY created_at DESC, id DESC",
                ("tenant", tenantId));
            return await ReadAllAsync(command, ReadKey, cancellationToken);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<ApiKeyRecord?> RevokeApiKeyAsync(string tenantId, Guid keyId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default) =>
        WriteAsync(WriteKey.None, async ctx =>
        {
            await ctx.ExecuteAsync("UPDATE api_keys SET revoked_at = @at WHERE id = @id AND tenant_id = @tenant AND revoked_at IS NULL",
                ("at", Rows.Truncate(revokedAt)), ("id", keyId), ("tenant", tenantId));
            return await ctx.SingleOrDefaultAsync($"SELECT {KeyColumns} FROM api_keys WHERE id = @id AND tenant_id = @tenant", ReadKey,
                ("id", keyId), ("tenant", tenantId));
        }, cancellationToken);

    /// <inheritdoc />
    public Task TouchApiKeysAsync(IReadOnlyCollection<(Guid KeyId, DateTimeOffset UsedAt)> uses, CancellationToken cancellationToken = default) =>
        WriteAsync(WriteKey.None, ctx => ctx.ExecuteAsync("""
            UPDATE api_keys k SET last_used_at = u.at
            FROM unnest(@ids::uuid[], @ats::timestamptz[]) AS u (id, at)
            WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)
            """,
            ("ids", uses.Select(u => u.KeyId).ToArray()), ("ats", uses.Select(u => Rows.Truncate(u.UsedAt)).ToArray())), cancellationToken);

    /// <inheritdoc />
    public Task<bool> AnyApiKeyAsync(CancellationToken cancellationToken = default) =>
        ReadAsync(async c =>
        {
            await using var command = Command(c, "SELECT EXISTS (SELECT 1 FROM api_keys)");
            return await command.ExecuteScalarAsync(cancellationToken) is true;
        }, cancellationToken);

    private static ApiKeyRecord ReadKey(NpgsqlDataReader r) => new()
    {
        Id = r.GetGuid(0),
        TenantId = r.GetString(1),
        Prefix = r.GetString(2),
        Hash = r.GetFieldValue<byte[]>(3),
        Name = r.GetString(4),
        Roles = r.GetString(5).Split(',', StringSplitOptions.RemoveEmptyEntries),
        CreatedAt = Rows.ReadTime(r, 6),
        ExpiresAt = Rows.TimeOrNull(r, 7),
        RevokedAt = Rows.TimeOrNull(r, 8),
        LastUsedAt = Rows.TimeOrNull(r, 9),
    };
}
