namespace Apex.Core.Tenants;

/// <summary>Whether a tenant may use the API.</summary>
public enum TenantState
{
    /// <summary>Its keys and tokens authenticate.</summary>
    Active,

    /// <summary>Every request with its keys or tokens gets 401, like a bad credential.</summary>
    Suspended,
}
