using System.Net;
using System.Net.Sockets;

namespace Needle.Server.UrlFetch;

/// <summary>Which IP addresses a fetch may connect to: public unicast only (no private, loopback, link-local, shared, documentation, multicast or reserved ranges).</summary>
internal static class PublicAddresses
{
    public static bool IsLoopback(IPAddress address) =>
        IPAddress.IsLoopback(address) || (address.IsIPv4MappedToIPv6 && IPAddress.IsLoopback(address.MapToIPv4()));

    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return IsPublic(address.MapToIPv4());
        }

        Span<byte> b = stackalloc byte[16];
        if (!address.TryWriteBytes(b, out var length))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork && length == 4)
        {
            return !(b[0] == 0                                   // "this" network
                || b[0] == 10                                    // private
                || (b[0] == 100 && (b[1] & 0xC0) == 64)          // shared address space (CGNAT) 100.64/10
                || b[0] == 127                                   // loopback
                || (b[0] == 169 && b[1] == 254)                  // link-local (cloud metadata lives here)
                || (b[0] == 172 && (b[1] & 0xF0) == 16)          // private 172.16/12
                || (b[0] == 192 && b[1] == 0 && b[2] == 0)       // IETF protocol assignments
                || (b[0] == 192 && b[1] == 0 && b[2] == 2)       // documentation
                || (b[0] == 192 && b[1] == 88 && b[2] == 99)     // 6to4 relay anycast
                || (b[0] == 192 && b[1] == 168)                  // private
                || (b[0] == 198 && (b[1] & 0xFE) == 18)          // benchmarking 198.18/15
                || (b[0] == 198 && b[1] == 51 && b[2] == 100)    // documentation
                || (b[0] == 203 && b[1] == 0 && b[2] == 113)     // documentation
                || b[0] >= 224);                                 // multicast, reserved, broadcast
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6 || length != 16)
        {
            return false;
        }

        // Global unicast is 2000::/3; inside it, refuse the ranges that tunnel to or stand for other addresses.
        if ((b[0] & 0xE0) != 0x20)
        {
            return false;                                        // ::, ::1, fc00::/7, fe80::/10, ff00::/8, 64:ff9b::/96, ...
        }

        return !((b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)   // documentation 2001:db8::/32
            || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)          // Teredo 2001::/32
            || (b[0] == 0x20 && b[1] == 0x02));                                  // 6to4 2002::/16
    }
}
