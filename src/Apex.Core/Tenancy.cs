namespace Apex.Core;

/// <summary>Tenancy constants. Every row carries a tenant id; until authentication lands there is one tenant.</summary>
public static class Tenancy
{
    /// <summary>The tenant of every request while Apex runs without authentication.</summary>
    public const string DefaultTenant = "default";
}
