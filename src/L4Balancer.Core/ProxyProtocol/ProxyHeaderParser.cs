using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace L4Balancer.Core.ProxyProtocol;

/// <summary>
/// Parses a PROXY protocol header, v1 or v2, at the start of a connection's bytes, strictly as HAProxy's
/// doc/proxy-protocol.txt says a receiver must: anything that does not exactly match is invalid, and
/// a valid but unfinished prefix is <see cref="ProxyHeaderStatus.Incomplete"/> (read more; at end of
/// stream it is a truncated header). The caller decides what the connection carries (v1, v2 or
/// either): the spec forbids guessing whether a header is present at all.
/// </summary>
/// <remarks>
/// Choices: v1 IPv6 addresses may end in a dotted IPv4 part (::ffff:1.2.3.4), which is what HAProxy
/// itself emits through inet_ntop for a mixed-family connection; the dotted part is held to the
/// IPv4 rules. v2 TLVs are checked to lie exactly within the announced length and are then skipped
/// (a CRC32C TLV is not verified). A LOCAL command's family and address block are ignored, as the
/// spec requires.
/// </remarks>
internal static class ProxyHeaderParser
{
    private static ReadOnlySpan<byte> V1Prefix => "PROXY "u8;

    public static ProxyHeaderParseResult Parse(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return Incomplete();
        }

        return data[0] == V1Prefix[0] ? ParseV1(data)
            : data[0] == ProxyHeaderWriter.V2Signature[0] ? ParseV2(data)
            : NotProxy();
    }

    private static ProxyHeaderParseResult ParseV1(ReadOnlySpan<byte> data)
    {
        var prefix = Math.Min(data.Length, V1Prefix.Length);
        if (!data[..prefix].SequenceEqual(V1Prefix[..prefix]))
        {
            return NotProxy();
        }

        // The line ends at the first CR, which must be followed by LF within 107 bytes (CRLF included).
        var limit = Math.Min(data.Length, ProxyHeaderWriter.MaxV1Length);
        var end = data[..limit].IndexOfAny((byte)'\r', (byte)'\n');
        if (end < 0)
        {
            return data.Length >= ProxyHeaderWriter.MaxV1Length
                ? ProxyHeaderParseResult.Fail(ProxyHeaderStatus.LineTooLong, "v1: no CRLF within the first 107 bytes")
                : Incomplete();
        }

        if (data[end] == (byte)'\n')
        {
            return Malformed("a bare LF ends the line; the spec requires CRLF");
        }

        if (end + 1 >= ProxyHeaderWriter.MaxV1Length)
        {
            return ProxyHeaderParseResult.Fail(ProxyHeaderStatus.LineTooLong, "v1: no CRLF within the first 107 bytes");
        }

        if (end + 1 == data.Length)
        {
            return Incomplete();
        }

        if (data[end + 1] != (byte)'\n')
        {
            return Malformed("a bare CR in the line; the spec requires CRLF");
        }

        var length = end + 2;
        var line = data[V1Prefix.Length..end];

        if (line.StartsWith("UNKNOWN"u8))
        {
            // "the receiver must ignore anything presented before the CRLF"
            if (line.Length > 7 && line[7] != (byte)' ')
            {
                return Malformed("protocol must be TCP4, TCP6 or UNKNOWN");
            }

            return ProxyHeaderParseResult.Ok(new ProxyHeader
            {
                Version = 1,
                Command = ProxyCommand.Proxy,
                Family = ProxyAddressFamily.Unspecified,
                IsStream = false,
                Length = length,
            });
        }

        bool v6;
        if (line.StartsWith("TCP4 "u8))
        {
            v6 = false;
        }
        else if (line.StartsWith("TCP6 "u8))
        {
            v6 = true;
        }
        else
        {
            return Malformed("protocol must be TCP4, TCP6 or UNKNOWN");
        }

        // Exactly four fields, each separated by exactly one space.
        var rest = line[5..];
        Span<Range> fields = stackalloc Range[4];
        var count = 0;
        var start = 0;
        for (var i = 0; i <= rest.Length; i++)
        {
            if (i < rest.Length && rest[i] != (byte)' ')
            {
                continue;
            }

            if (i == start)
            {
                return Malformed("fields must be separated by exactly one space");
            }

            if (count == fields.Length)
            {
                return Malformed("too many fields");
            }

            fields[count++] = start..i;
            start = i + 1;
        }

        if (count != 4)
        {
            return Malformed("expected source address, destination address, source port, destination port");
        }

        var family = v6 ? "TCP6" : "TCP4";
        if (!TryParseAddress(rest[fields[0]], v6, out var source))
        {
            return Malformed($"source address is not a valid {family} address");
        }

        if (!TryParseAddress(rest[fields[1]], v6, out var destination))
        {
            return Malformed($"destination address is not a valid {family} address");
        }

        if (!TryParsePort(rest[fields[2]], out var sourcePort))
        {
            return Malformed("source port must be 0-65535 without leading zeros");
        }

        if (!TryParsePort(rest[fields[3]], out var destinationPort))
        {
            return Malformed("destination port must be 0-65535 without leading zeros");
        }

        return ProxyHeaderParseResult.Ok(new ProxyHeader
        {
            Version = 1,
            Command = ProxyCommand.Proxy,
            Family = v6 ? ProxyAddressFamily.Inet6 : ProxyAddressFamily.Inet,
            IsStream = true,
            Source = new IPEndPoint(source, sourcePort),
            Destination = new IPEndPoint(destination, destinationPort),
            Length = length,
        });
    }

    private static ProxyHeaderParseResult ParseV2(ReadOnlySpan<byte> data)
    {
        var signature = ProxyHeaderWriter.V2Signature;
        var prefix = Math.Min(data.Length, signature.Length);
        if (!data[..prefix].SequenceEqual(signature[..prefix]))
        {
            return NotProxy();
        }

        if (data.Length < ProxyHeaderWriter.V2FixedLength)
        {
            return Incomplete();
        }

        if (data[12] >> 4 != 2)
        {
            return ProxyHeaderParseResult.Fail(ProxyHeaderStatus.UnsupportedVersion, $"v2: version {data[12] >> 4}, expected 2");
        }

        var command = data[12] & 0x0F;
        if (command > 1)
        {
            return ProxyHeaderParseResult.Fail(ProxyHeaderStatus.UnsupportedCommand, $"v2: command {command}, expected 0 (LOCAL) or 1 (PROXY)");
        }

        var addressBlock = BinaryPrimitives.ReadUInt16BigEndian(data[14..]);
        var length = ProxyHeaderWriter.V2FixedLength + addressBlock;
        if (data.Length < length)
        {
            return Incomplete();
        }

        if (command == 0)
        {
            // LOCAL: "discard the protocol block including the family which is ignored".
            return ProxyHeaderParseResult.Ok(new ProxyHeader
            {
                Version = 2,
                Command = ProxyCommand.Local,
                Family = ProxyAddressFamily.Unspecified,
                IsStream = false,
                Length = length,
            });
        }

        var familyByte = data[13];
        if (!TryDecodeFamily(familyByte, out var family, out var addressesLength))
        {
            return ProxyHeaderParseResult.Fail(ProxyHeaderStatus.UnsupportedFamily, $"v2: family/transport 0x{familyByte:x2} is not defined by the spec");
        }

        if (addressBlock < addressesLength)
        {
            return ProxyHeaderParseResult.Fail(ProxyHeaderStatus.BadLength, $"v2: length {addressBlock} is shorter than the {addressesLength} address bytes of family 0x{familyByte:x2}");
        }

        var header = new ProxyHeader
        {
            Version = 2,
            Command = ProxyCommand.Proxy,
            Family = family,
            IsStream = (familyByte & 0x0F) == 0x01,
            Length = length,
        };

        if (family == ProxyAddressFamily.Unspecified)
        {
            // No defined address layout: the whole block is skipped, TLVs included.
            return ProxyHeaderParseResult.Ok(header);
        }

        // TLVs: type, 16-bit length, value; each must end inside the header, and the last exactly at its end.
        for (var offset = ProxyHeaderWriter.V2FixedLength + addressesLength; offset < length;)
        {
            if (offset + 3 > length)
            {
                return ProxyHeaderParseResult.Fail(ProxyHeaderStatus.BadLength, "v2: a TLV header overruns the announced length");
            }

            offset += 3 + BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 1)..]);
            if (offset > length)
            {
                return ProxyHeaderParseResult.Fail(ProxyHeaderStatus.BadLength, "v2: a TLV value overruns the announced length");
            }
        }

        if (family == ProxyAddressFamily.Unix)
        {
            return ProxyHeaderParseResult.Ok(header);
        }

        var addresses = data.Slice(ProxyHeaderWriter.V2FixedLength, addressesLength);
        var size = family == ProxyAddressFamily.Inet ? 4 : 16;
        return ProxyHeaderParseResult.Ok(header with
        {
            Source = new IPEndPoint(new IPAddress(addresses[..size]), BinaryPrimitives.ReadUInt16BigEndian(addresses[(2 * size)..])),
            Destination = new IPEndPoint(new IPAddress(addresses.Slice(size, size)), BinaryPrimitives.ReadUInt16BigEndian(addresses[((2 * size) + 2)..])),
        });
    }

    /// <summary>The spec's seven family/transport bytes and the address bytes each one implies.</summary>
    private static bool TryDecodeFamily(byte value, out ProxyAddressFamily family, out int addressesLength)
    {
        (family, addressesLength) = value switch
        {
            0x00 => (ProxyAddressFamily.Unspecified, 0),
            0x11 or 0x12 => (ProxyAddressFamily.Inet, 12),
            0x21 or 0x22 => (ProxyAddressFamily.Inet6, 36),
            0x31 or 0x32 => (ProxyAddressFamily.Unix, 216),
            _ => (ProxyAddressFamily.Unspecified, -1),
        };
        return addressesLength >= 0;
    }

    private static bool TryParseAddress(ReadOnlySpan<byte> text, bool v6, out IPAddress address)
    {
        address = IPAddress.None;
        if (!v6)
        {
            Span<byte> bytes = stackalloc byte[4];
            if (!TryParseIpv4(text, bytes))
            {
                return false;
            }

            address = new IPAddress(bytes);
            return true;
        }

        // Hex groups and colons (and a dotted IPv4 tail): this keeps out what IPAddress.TryParse would
        // also take but the spec does not allow, such as brackets, a port, or a %scope.
        if (text.Length is < 2 or > 45 || text.IndexOfAnyExcept("0123456789abcdefABCDEF:."u8) >= 0)
        {
            return false;
        }

        // A dotted IPv4 part may only come last, after the last colon, and obeys the IPv4 rules.
        var lastColon = text.LastIndexOf((byte)':');
        var dot = text.IndexOf((byte)'.');
        Span<byte> tail = stackalloc byte[4];
        if (lastColon < 0 || (dot >= 0 && (dot < lastColon || !TryParseIpv4(text[(lastColon + 1)..], tail))))
        {
            return false;
        }

        Span<char> chars = stackalloc char[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            chars[i] = (char)text[i];
        }

        if (!IPAddress.TryParse(chars, out var parsed) || parsed.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        address = parsed;
        return true;
    }

    /// <summary>Exactly four decimal numbers 0-255 separated by single dots, without leading zeros.</summary>
    private static bool TryParseIpv4(ReadOnlySpan<byte> text, Span<byte> address4)
    {
        var part = 0;
        var start = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && text[i] != (byte)'.')
            {
                continue;
            }

            if (part == 4 || !TryParseDecimal(text[start..i], 3, out var value) || value > 255)
            {
                return false;
            }

            address4[part++] = (byte)value;
            start = i + 1;
        }

        return part == 4;
    }

    private static bool TryParsePort(ReadOnlySpan<byte> text, out int port) =>
        TryParseDecimal(text, 5, out port) && port <= 65535;

    /// <summary>1 to <paramref name="maxDigits"/> ASCII digits; a leading zero only in "0" itself.</summary>
    private static bool TryParseDecimal(ReadOnlySpan<byte> text, int maxDigits, out int value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > maxDigits || (text[0] == (byte)'0' && text.Length > 1))
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        return true;
    }

    private static ProxyHeaderParseResult Incomplete() =>
        ProxyHeaderParseResult.Fail(ProxyHeaderStatus.Incomplete, "the header is not complete yet");

    private static ProxyHeaderParseResult NotProxy() =>
        ProxyHeaderParseResult.Fail(ProxyHeaderStatus.NotProxyProtocol, "neither a v1 \"PROXY \" line nor the v2 signature");

    private static ProxyHeaderParseResult Malformed(string message) =>
        ProxyHeaderParseResult.Fail(ProxyHeaderStatus.MalformedLine, "v1: " + message);
}
