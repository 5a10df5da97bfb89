namespace Apex.Core;

/// <summary>Tenancy constants. Every row carries a tenant id; until authentication lands there is one tenant.</summary>
public static class Tenancy
{
    /// <summary>The tenant of every request while Apex runs without authentication.</summary>
    public const string DefaultTenant = "default";

    /// <summary>Whether <paramref name="tenantId"/> can name a tenant: 1–64 of <c>a-z 0-9 _ -</c>, starting with a letter or digit.</summary>
    public static bool IsValid(string? tenantId) =>
        tenantId is { Length: > 0 and <= 64 }
        && (char.IsAsciiLetterLower(tenantId[0]) || char.IsAsciiDigit(tenantId[0]))
        && tenantId.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-');
}
