namespace Apex.Contracts.Keys;

/// <summary>Answer of <c>POST /api/v1/admin/keys</c>: the only time the whole key is ever shown.</summary>
public sealed record CreatedApiKeyResponse
{
    /// <summary>The whole key, <c>apex_&lt;prefix&gt;_&lt;secret&gt;</c>: store it now, Apex keeps only its hash.</summary>
    public required string Key { get; init; }

    /// <summary>The key as it is listed.</summary>
    public required ApiKeyResponse ApiKey { get; init; }
}
