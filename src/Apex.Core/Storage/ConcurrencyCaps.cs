namespace Apex.Core.Storage;

/// <summary>
/// How many tasks of each tenant may run at once, for a claim that must respect it (the tenants' concurrent-runs quota).
/// <see cref="int.MaxValue"/> is unlimited.
/// </summary>
/// <param name="Default">The cap of a tenant not in <paramref name="Tenants"/>.</param>
/// <param name="Tenants">Tenants whose cap differs from the default.</param>
public sealed record ConcurrencyCaps(int Default, IReadOnlyDictionary<string, int> Tenants)
{
    /// <summary>No tenant is capped: a claim needs no count of what runs.</summary>
    public bool IsUnlimited => Default == int.MaxValue && Tenants.Values.All(cap => cap == int.MaxValue);

    /// <summary>The cap of <paramref name="tenantId"/>.</summary>
    public int CapOf(string tenantId) => Tenants.TryGetValue(tenantId, out var cap) ? cap : Default;
}
