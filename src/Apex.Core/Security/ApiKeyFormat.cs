using System.Security.Cryptography;

namespace Apex.Core.Security;

/// <summary>
/// The shape of an API key: <c>apex_&lt;prefix&gt;_&lt;secret&gt;</c>, a 10-character prefix (48 random bits) that finds
/// the key and a 52-character secret (256 random bits), both lowercase base32 so a double-click selects the whole key.
/// </summary>
public static class ApiKeyFormat
{
    public const string Scheme = "apex_";

    public const int PrefixLength = 10;

    public const int SecretLength = 52;

    public const int Length = 5 + PrefixLength + 1 + SecretLength;

    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    /// <summary>A new random key.</summary>
    public static string Generate() =>
        string.Concat(Scheme, Base32(RandomNumberGenerator.GetBytes(8))[..PrefixLength], "_", Base32(RandomNumberGenerator.GetBytes(32)));

    /// <summary>Whether <paramref name="credential"/> is meant to be an Apex key (it may still be malformed).</summary>
    public static bool LooksLikeKey(ReadOnlySpan<char> credential) => credential.StartsWith(Scheme, StringComparison.Ordinal);

    /// <summary>The prefix of a well-formed key; false for anything else.</summary>
    public static bool TryParse(ReadOnlySpan<char> key, out string prefix)
    {
        prefix = "";
        if (key.Length != Length || !key.StartsWith(Scheme, StringComparison.Ordinal) || key[Scheme.Length + PrefixLength] != '_')
        {
            return false;
        }
        var body = key[Scheme.Length..];
        for (var i = 0; i < body.Length; i++)
        {
            if (i != PrefixLength && !Alphabet.Contains(body[i]))
            {
                return false;
            }
        }
        prefix = body[..PrefixLength].ToString();
        return true;
    }

    private static string Base32(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[(bytes.Length * 8 + 4) / 5];
        int buffer = 0, bits = 0, index = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                chars[index++] = Alphabet[(buffer >> (bits - 5)) & 31];
                bits -= 5;
            }
        }
        if (bits > 0)
        {
            chars[index] = Alphabet[(buffer << (5 - bits)) & 31];
        }
        return new string(chars);
    }
}
