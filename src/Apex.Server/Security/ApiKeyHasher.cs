using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Apex.Server.Security;

/// <summary>
/// Hashes keys for storage and comparison. A key's secret is 256 random bits, so one SHA-256 is as strong as a slow
/// password hash would be, at a cost every request can pay; with <c>Apex:Auth:KeyPepper</c> it is HMAC-SHA-256.
/// </summary>
internal sealed class ApiKeyHasher(IOptions<AuthOptions> options)
{
    private readonly byte[]? _pepper = options.Value.KeyPepper is { Length: > 0 } pepper ? Encoding.UTF8.GetBytes(pepper) : null;

    public byte[] Hash(string key)
    {
        var hash = new byte[32];
        Hash(key, hash);
        return hash;
    }

    /// <summary>Whether <paramref name="key"/> hashes to <paramref name="expected"/>, in constant time.</summary>
    public bool Matches(string key, ReadOnlySpan<byte> expected)
    {
        Span<byte> hash = stackalloc byte[32];
        Hash(key, hash);
        return CryptographicOperations.FixedTimeEquals(hash, expected);
    }

    private void Hash(string key, Span<byte> destination)
    {
        Span<byte> bytes = stackalloc byte[Encoding.ASCII.GetMaxByteCount(key.Length)];
        var length = Encoding.ASCII.GetBytes(key, bytes);
        if (_pepper is null)
        {
            SHA256.HashData(bytes[..length], destination);
        }
        else
        {
            HMACSHA256.HashData(_pepper, bytes[..length], destination);
        }
    }
}
