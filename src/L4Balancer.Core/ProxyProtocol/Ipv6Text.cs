using System.Globalization;

namespace L4Balancer.Core.ProxyProtocol;

/// <summary>
/// IPv6 text for the v1 line, into UTF-8 without allocating: RFC 5952 (lower-case hex, no leading
/// zeros, the longest run of two or more zero groups as "::", the first on a tie). Unlike
/// <see cref="System.Net.IPAddress.TryFormat(Span{byte}, out int)"/> it never appends a scope id and
/// writes an IPv4-mapped address in hex groups, which is the only form the PROXY spec describes
/// ("series of sets of 4 hexadecimal digits ... delimited by colons").
/// </summary>
internal static class Ipv6Text
{
    /// <summary>Longest form: eight groups of four digits and seven colons.</summary>
    public const int MaxLength = 39;

    public static int Format(ReadOnlySpan<byte> address16, Span<byte> destination)
    {
        Span<ushort> groups = stackalloc ushort[8];
        for (var i = 0; i < 8; i++)
        {
            groups[i] = (ushort)((address16[2 * i] << 8) | address16[(2 * i) + 1]);
        }

        // The longest run of zero groups; a single zero group is written, not compressed (RFC 5952 4.2.2).
        int bestStart = -1, bestLength = 1;
        for (var i = 0; i < 8;)
        {
            if (groups[i] != 0)
            {
                i++;
                continue;
            }

            var start = i;
            while (i < 8 && groups[i] == 0)
            {
                i++;
            }

            if (i - start > bestLength)
            {
                bestStart = start;
                bestLength = i - start;
            }
        }

        var n = 0;
        var afterGap = false;
        for (var i = 0; i < 8;)
        {
            if (i == bestStart)
            {
                destination[n++] = (byte)':';
                destination[n++] = (byte)':';
                i += bestLength;
                afterGap = true;
                continue;
            }

            if (i > 0 && !afterGap)
            {
                destination[n++] = (byte)':';
            }

            groups[i].TryFormat(destination[n..], out var written, "x", CultureInfo.InvariantCulture);
            n += written;
            afterGap = false;
            i++;
        }

        return n;
    }
}
