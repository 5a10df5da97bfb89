using Apex.Core.Security;
using Xunit;

namespace Apex.Store.Tests;

public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task ApiKeys_CreateFindListRevokeAndTouch()
    {
        var keys = (IApiKeyStore)Store;
        Assert.False(await keys.AnyApiKeyAsync(Ct));
        var first = NewKey("ci", Start);
        var second = NewKey("viewer", Start.AddMinutes(1)) with { Roles = [ApexRoles.Viewer, ApexRoles.Approver], ExpiresAt = Start.AddDays(30) };
        var other = NewKey("other tenant", Start.AddMinutes(2)) with { TenantId = "acme" };
        await keys.CreateApiKeyAsync(first, Ct);
        await keys.CreateApiKeyAsync(second, Ct);
        await keys.CreateApiKeyAsync(other, Ct);

        Assert.True(await keys.AnyApiKeyAsync(Ct));
        var found = await keys.FindApiKeyAsync(second.Prefix, Ct);
        Assert.NotNull(found);
        Assert.Equal(second.Hash, found.Hash);
        Assert.Equal(second with { Hash = found.Hash, Roles = found.Roles }, found);
        Assert.Equal(second.Roles, found.Roles);
        Assert.Null(await keys.FindApiKeyAsync("zzzzzzzzzz", Ct));
        Assert.Equal([second.Id, first.Id], (await keys.ListApiKeysAsync(Tenant, Ct)).Select(k => k.Id));

        var revoked = await keys.RevokeApiKeyAsync(Tenant, first.Id, Start.AddHours(1), Ct);
        Assert.Equal(Start.AddHours(1), revoked?.RevokedAt);
        var again = await keys.RevokeApiKeyAsync(Tenant, first.Id, Start.AddHours(2), Ct);
        Assert.Equal(Start.AddHours(1), again?.RevokedAt);
        Assert.Null(await keys.RevokeApiKeyAsync(Tenant, other.Id, Start.AddHours(1), Ct));
        Assert.False((await keys.FindApiKeyAsync(first.Prefix, Ct))!.IsActive(Start.AddHours(1)));

        await keys.TouchApiKeysAsync([(second.Id, Start.AddHours(3)), (other.Id, Start.AddHours(3))], Ct);
        await keys.TouchApiKeysAsync([(second.Id, Start.AddHours(2))], Ct);
        Assert.Equal(Start.AddHours(3), (await keys.FindApiKeyAsync(second.Prefix, Ct))?.LastUsedAt);
        Assert.Equal(Start.AddHours(3), (await keys.FindApiKeyAsync(other.Prefix, Ct))?.LastUsedAt);
    }

    private static ApiKeyRecord NewKey(string name, DateTimeOffset createdAt)
    {
        _ = ApiKeyFormat.TryParse(ApiKeyFormat.Generate(), out var prefix);
        return new ApiKeyRecord
        {
            Id = Guid.CreateVersion7(createdAt),
            TenantId = Tenant,
            Prefix = prefix,
            Hash = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32),
            Name = name,
            Roles = [ApexRoles.Operator],
            CreatedAt = createdAt,
        };
    }
}
