using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace L4Balancer.Core.Net;

/// <summary>
/// A CIDR prefix. IPv4 prefixes live in the IPv4-mapped IPv6 space (<c>::ffff:0:0/96</c>), so one
/// 128-bit representation and one trie serve both families, and a dual-stack socket's
/// <c>::ffff:a.b.c.d</c> source matches IPv4 prefixes for free.
/// </summary>
internal readonly record struct IpPrefix
{
    private static readonly UInt128 V4MappedBase = (UInt128)0xFFFF << 32;

    private IpPrefix(UInt128 bits, int length, bool isV4)
    {
        Bits = bits;
        Length = length;
        IsV4 = isV4;
    }

    /// <summary>The network address as a 128-bit number (IPv4 mapped), host bits zero.</summary>
    public UInt128 Bits { get; }

    /// <summary>Prefix length in the 128-bit space (an IPv4 /8 is 104 here).</summary>
    public int Length { get; }

    public bool IsV4 { get; }

    /// <summary>The prefix length as written (0–32 for IPv4, 0–128 for IPv6).</summary>
    public int WrittenLength => IsV4 ? Length - 96 : Length;

    public static IpPrefix Parse(string text) =>
        TryParse(text, out var prefix, out var error) ? prefix : throw new FormatException(error);

    /// <summary>
    /// Parses <c>address/length</c> (a bare address is a host prefix). Rejects host bits set, as
    /// System.Net.IPNetwork does: <c>10.0.0.1/8</c> is almost always a typo for a narrower rule.
    /// </summary>
    public static bool TryParse(string text, out IpPrefix prefix, [NotNullWhen(false)] out string? error)
    {
        prefix = default;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out var address) || addressText.Contains('%', StringComparison.Ordinal))
        {
            error = $"\"{text}\" is not a CIDR prefix";
            return false;
        }

        var isV4 = address.AddressFamily == AddressFamily.InterNetwork;

        // IPAddress.TryParse also takes inet_aton shorthands ("10.0.0" = 10.0.0.0, "10" = 0.0.0.10, hex
        // and octal parts); in an ACL those are typos, so IPv4 must be written as four decimal octets.
        if (isV4 && !string.Equals(address.ToString(), addressText, StringComparison.Ordinal))
        {
            error = $"\"{text}\" is not a CIDR prefix";
            return false;
        }

        var max = isV4 ? 32 : 128;
        var length = max;
        if (slash >= 0)
        {
            var lengthText = text.AsSpan(slash + 1);
            if (lengthText.IsEmpty || lengthText.Length > 3 || !int.TryParse(lengthText, System.Globalization.NumberStyles.None, null, out length) || length > max)
            {
                error = $"\"{text}\" is not a CIDR prefix";
                return false;
            }
        }

        var bits = ToBits(address);
        var length128 = isV4 ? length + 96 : length;
        var masked = bits & Mask(length128);
        if (masked != bits)
        {
            error = $"\"{text}\" has host bits set (did you mean \"{FromBits(masked, isV4)}/{length}\"?)";
            return false;
        }

        prefix = new IpPrefix(bits, length128, isV4);
        error = null;
        return true;
    }

    /// <summary>The address as a 128-bit number; IPv4 and IPv4-mapped IPv6 both map to <c>::ffff:a.b.c.d</c>.</summary>
    public static UInt128 ToBits(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes[12..], out _);
            return V4MappedBase | BinaryPrimitives.ReadUInt32BigEndian(bytes[12..]);
        }

        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    public static UInt128 Mask(int length) =>
        length == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - length);

    public bool Contains(UInt128 address) => (address & Mask(Length)) == Bits;

    public bool Contains(IPAddress address) => Contains(ToBits(address));

    public override string ToString() => $"{FromBits(Bits, IsV4)}/{WrittenLength}";

    private static IPAddress FromBits(UInt128 bits, bool isV4)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, bits);
        return isV4 ? new IPAddress(bytes[12..]) : new IPAddress(bytes);
    }
}
