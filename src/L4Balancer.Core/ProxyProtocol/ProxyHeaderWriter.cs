using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Config;

namespace L4Balancer.Core.ProxyProtocol;

/// <summary>
/// Writes a PROXY protocol header (HAProxy's doc/proxy-protocol.txt, versions 1 and 2) into a caller's
/// buffer, without allocating. Source is the client (the accepted socket's peer), destination the
/// address the client connected to (the accepted socket's local end).
/// </summary>
/// <remarks>
/// Address families, as HAProxy's make_proxy_line_v1/v2 (src/connection.c) decide them:
/// IPv4-mapped IPv6 addresses (a dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d) are
/// written as IPv4; both IPv4 → TCP4 / AF_INET; otherwise TCP6 / AF_INET6, with an IPv4 side written as
/// its IPv4-mapped IPv6 address (v1 allows one family per line). For one accepted TCP socket both ends
/// always have the same family, so the mixed case only arises through this API. An unknown endpoint
/// (null) gives <c>PROXY UNKNOWN</c> (v1) or a LOCAL command with AF_UNSPEC (v2), again as HAProxy.
/// No v2 TLVs are written.
/// </remarks>
internal static class ProxyHeaderWriter
{
    /// <summary>Enough for any header written here: v1 TCP6 is at most 104 bytes, v2 at most 52.</summary>
    public const int BufferSize = 108;

    /// <summary>Longest v1 line a receiver must accept, CRLF included (the spec's worst case).</summary>
    public const int MaxV1Length = 107;

    /// <summary>v2: 12-byte signature, version/command, family/transport, 16-bit address length.</summary>
    public const int V2FixedLength = 16;

    public const int V2Ipv4Length = V2FixedLength + 12;

    public const int V2Ipv6Length = V2FixedLength + 36;

    /// <summary>The v2 signature: \r\n\r\n\0\r\nQUIT\n.</summary>
    public static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>Writes the header of <paramref name="mode"/>; returns its length.</summary>
    public static int Write(ProxyProtocolMode mode, IPEndPoint? source, IPEndPoint? destination, Span<byte> buffer) => mode switch
    {
        ProxyProtocolMode.V1 => WriteV1(source, destination, buffer),
        ProxyProtocolMode.V2 => WriteV2(source, destination, buffer),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "no PROXY protocol header to write"),
    };

    /// <summary><c>PROXY TCP4|TCP6 src dst sport dport\r\n</c>; returns its length.</summary>
    public static int WriteV1(IPEndPoint? source, IPEndPoint? destination, Span<byte> buffer)
    {
        if (buffer.Length < BufferSize)
        {
            throw new ArgumentException($"the buffer must hold {BufferSize} bytes", nameof(buffer));
        }

        if (source is null || destination is null)
        {
            "PROXY UNKNOWN\r\n"u8.CopyTo(buffer);
            return 15;
        }

        Span<byte> src = stackalloc byte[16];
        Span<byte> dst = stackalloc byte[16];
        var bothV4 = ReadAddress(source, src) & ReadAddress(destination, dst);

        var n = 0;
        (bothV4 ? "PROXY TCP4 "u8 : "PROXY TCP6 "u8).CopyTo(buffer);
        n += 11;
        n += bothV4 ? FormatIpv4(src[12..], buffer[n..]) : Ipv6Text.Format(src, buffer[n..]);
        buffer[n++] = (byte)' ';
        n += bothV4 ? FormatIpv4(dst[12..], buffer[n..]) : Ipv6Text.Format(dst, buffer[n..]);
        buffer[n++] = (byte)' ';
        n += FormatPort(source.Port, buffer[n..]);
        buffer[n++] = (byte)' ';
        n += FormatPort(destination.Port, buffer[n..]);
        buffer[n++] = (byte)'\r';
        buffer[n++] = (byte)'\n';
        return n;
    }

    /// <summary>The binary header: signature, 0x21 (v2, PROXY), 0x11 or 0x21 (TCP over IPv4/IPv6), length, addresses, ports.</summary>
    public static int WriteV2(IPEndPoint? source, IPEndPoint? destination, Span<byte> buffer)
    {
        if (buffer.Length < BufferSize)
        {
            throw new ArgumentException($"the buffer must hold {BufferSize} bytes", nameof(buffer));
        }

        V2Signature.CopyTo(buffer);
        if (source is null || destination is null)
        {
            buffer[12] = 0x20; // version 2, LOCAL: the receiver uses the connection's own endpoints
            buffer[13] = 0x00; // AF_UNSPEC, UNSPEC
            BinaryPrimitives.WriteUInt16BigEndian(buffer[14..], 0);
            return V2FixedLength;
        }

        Span<byte> src = stackalloc byte[16];
        Span<byte> dst = stackalloc byte[16];
        var bothV4 = ReadAddress(source, src) & ReadAddress(destination, dst);
        var addressLength = bothV4 ? 4 : 16;

        buffer[12] = 0x21; // version 2, PROXY
        buffer[13] = bothV4 ? (byte)0x11 : (byte)0x21; // AF_INET or AF_INET6, STREAM
        BinaryPrimitives.WriteUInt16BigEndian(buffer[14..], (ushort)((2 * addressLength) + 4));
        var n = V2FixedLength;
        (bothV4 ? src[12..] : src).CopyTo(buffer[n..]);
        n += addressLength;
        (bothV4 ? dst[12..] : dst).CopyTo(buffer[n..]);
        n += addressLength;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[n..], (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[(n + 2)..], (ushort)destination.Port);
        return n + 4;
    }

    /// <summary>
    /// Writes the address as 16 IPv6 bytes (IPv4 as its IPv4-mapped form, so the mixed-family case is
    /// a plain copy) and says whether it is IPv4, mapped or not. The scope id is not part of the header.
    /// </summary>
    private static bool ReadAddress(IPEndPoint endPoint, Span<byte> address16)
    {
        var address = endPoint.Address;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address16[..10].Clear();
            address16[10] = 0xFF;
            address16[11] = 0xFF;
            address.TryWriteBytes(address16[12..], out _);
            return true;
        }

        address.TryWriteBytes(address16, out _);
        return address.IsIPv4MappedToIPv6;
    }

    /// <summary>Dotted quad, decimal, no leading zeros (the spec forbids them: they read as octal).</summary>
    private static int FormatIpv4(ReadOnlySpan<byte> address4, Span<byte> destination)
    {
        var n = 0;
        for (var i = 0; i < 4; i++)
        {
            if (i > 0)
            {
                destination[n++] = (byte)'.';
            }

            address4[i].TryFormat(destination[n..], out var written, default, CultureInfo.InvariantCulture);
            n += written;
        }

        return n;
    }

    private static int FormatPort(int port, Span<byte> destination)
    {
        ((ushort)port).TryFormat(destination, out var written, default, CultureInfo.InvariantCulture);
        return written;
    }
}
