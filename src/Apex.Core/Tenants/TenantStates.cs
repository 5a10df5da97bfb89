namespace Apex.Core.Tenants;

/// <summary>How stores and the API name a <see cref="TenantState"/>.</summary>
public static class TenantStates
{
    /// <summary>The stored and wire name: <c>active</c> or <c>suspended</c>.</summary>
    public static string Name(this TenantState state) => state switch
    {
        TenantState.Active => "active",
        TenantState.Suspended => "suspended",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    /// <summary>A state from its name.</summary>
    public static TenantState Parse(string value) => value switch
    {
        "active" => TenantState.Active,
        "suspended" => TenantState.Suspended,
        _ => throw new FormatException($"Unknown tenant state '{value}'."),
    };
}
