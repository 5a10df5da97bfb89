namespace Apex.Contracts.Keys;

/// <summary>Body of <c>POST /api/v1/admin/keys</c>.</summary>
public sealed record CreateApiKeyRequest
{
    /// <summary>What the key is for (1–100 characters), shown in listings.</summary>
    public string? Name { get; init; }

    /// <summary>Roles: <c>admin</c>, <c>operator</c>, <c>viewer</c>, <c>approver</c>, <c>worker</c> (at least one).</summary>
    public IReadOnlyList<string>? Roles { get; init; }

    /// <summary>When the key stops working; never when null.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}
