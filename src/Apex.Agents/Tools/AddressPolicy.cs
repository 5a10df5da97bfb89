using System.Net;
using System.Net.Sockets;

namespace Apex.Agents.Tools;

/// <summary>
/// Which addresses and host names <c>http_fetch</c> must never reach: everything that is not a public unicast
/// address (loopback, private, link-local and cloud metadata, CGNAT, multicast, reserved), including IPv4 hidden in
/// IPv6 (mapped, compatible, NAT64, 6to4).
/// </summary>
internal static class AddressPolicy
{
    /// <summary>True when <paramref name="address"/> is not a public unicast address.</summary>
    public static bool IsBlocked(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return IsBlockedV4(address.GetAddressBytes());
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return true;
        }
        var b = address.GetAddressBytes();
        if (b.AsSpan(0, 10).IndexOfAnyExcept((byte)0) < 0 && ((b[10] == 0xff && b[11] == 0xff) || (b[10] == 0 && b[11] == 0)))
        {
            return IsBlockedV4(b.AsSpan(12, 4)); // ::ffff:a.b.c.d and ::a.b.c.d (this covers :: and ::1 too)
        }
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b)
        {
            return IsBlockedV4(b.AsSpan(12, 4)); // NAT64 64:ff9b::/96
        }
        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return IsBlockedV4(b.AsSpan(2, 4)); // 6to4 2002::/16
        }
        if (b[0] == 0x20 && b[1] == 0x01 && ((b[2] == 0 && b[3] == 0) || (b[2] == 0x0d && b[3] == 0xb8)))
        {
            return true; // Teredo 2001::/32 tunnels to anywhere; 2001:db8::/32 is documentation
        }
        // Only global unicast 2000::/3 is public: this excludes fc00::/7 (fd00:ec2::254 among it), fe80::/10 and ff00::/8.
        return (b[0] & 0xe0) != 0x20;
    }

    /// <summary>
    /// True for names that only mean something inside a network: <c>localhost</c>, <c>*.localhost</c>,
    /// <c>*.internal</c> (<c>metadata.google.internal</c>), <c>*.local</c> and the bare <c>metadata</c>.
    /// </summary>
    public static bool IsBlockedName(string host)
    {
        var name = host.TrimEnd('.').ToLowerInvariant();
        return name is "localhost" or "metadata" or "metadata.google.internal"
            || name.EndsWith(".localhost", StringComparison.Ordinal)
            || name.EndsWith(".internal", StringComparison.Ordinal)
            || name.EndsWith(".local", StringComparison.Ordinal);
    }

    private static bool IsBlockedV4(ReadOnlySpan<byte> b) => b[0] switch
    {
        0 or 10 or 127 => true,
        100 => (b[1] & 0xc0) == 64, // CGNAT 100.64/10
        169 => b[1] == 254, // link-local, 169.254.169.254 among it
        172 => (b[1] & 0xf0) == 16,
        192 => (b[1] == 168) || (b[1] == 0 && b[2] is 0 or 2) || (b[1] == 88 && b[2] == 99),
        198 => (b[1] & 0xfe) == 18 || (b[1] == 51 && b[2] == 100),
        203 => b[1] == 0 && b[2] == 113,
        >= 224 => true, // multicast 224/4, reserved 240/4, broadcast
        _ => false,
    };
}
