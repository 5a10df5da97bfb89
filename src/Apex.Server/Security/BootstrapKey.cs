using Apex.Core.Security;
using Microsoft.Extensions.Options;

namespace Apex.Server.Security;

/// <summary><c>Apex:Auth:BootstrapAdminKey</c>, kept as its prefix and hash only.</summary>
internal sealed class BootstrapKey
{
    public BootstrapKey(IOptions<AuthOptions> options, ApiKeyHasher hasher)
    {
        if (options.Value.BootstrapAdminKey is { } key && ApiKeyFormat.TryParse(key, out var prefix))
        {
            Prefix = prefix;
            Hash = hasher.Hash(key);
        }
    }

    /// <summary>Null when no bootstrap key is set.</summary>
    public string? Prefix { get; }

    public byte[] Hash { get; } = [];
}
