using System.Net;
using System.Text;
using L4Balancer.Core.Config;
using L4Balancer.Core.ProxyProtocol;

namespace L4Balancer.Tests.Proxy;

public class ProxyHeaderWriterTests
{
    private static IPEndPoint Ep(string address, int port) => new(IPAddress.Parse(address), port);

    private static byte[] V1(IPEndPoint? source, IPEndPoint? destination)
    {
        var buffer = new byte[ProxyHeaderWriter.BufferSize];
        return buffer[..ProxyHeaderWriter.WriteV1(source, destination, buffer)];
    }

    private static byte[] V2(IPEndPoint? source, IPEndPoint? destination)
    {
        var buffer = new byte[ProxyHeaderWriter.BufferSize];
        return buffer[..ProxyHeaderWriter.WriteV2(source, destination, buffer)];
    }

    private static string Text(byte[] bytes) => Encoding.ASCII.GetString(bytes);

    [Fact]
    public void V1_writes_the_spec_example_line()
    {
        // proxy-protocol.txt 2.1: "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"
        Assert.Equal("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", Text(V1(Ep("192.168.0.1", 56324), Ep("192.168.0.11", 443))));
    }

    [Theory]
    [InlineData("0.0.0.0", 0, "255.255.255.255", 65535, "PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n")]
    [InlineData("10.0.20.3", 1, "127.0.0.1", 80, "PROXY TCP4 10.0.20.3 127.0.0.1 1 80\r\n")]
    [InlineData("::1", 40000, "::1", 8443, "PROXY TCP6 ::1 ::1 40000 8443\r\n")]
    [InlineData("2001:DB8::1", 5, "2001:db8:0:0:1:0:0:1", 6, "PROXY TCP6 2001:db8::1 2001:db8::1:0:0:1 5 6\r\n")]
    [InlineData("fe80::1%7", 5, "fe80::2", 6, "PROXY TCP6 fe80::1 fe80::2 5 6\r\n")] // the scope id is not part of the address
    public void V1_writes_canonical_text(string source, int sourcePort, string destination, int destinationPort, string expected)
    {
        Assert.Equal(expected, Text(V1(Ep(source, sourcePort), Ep(destination, destinationPort))));
    }

    [Fact]
    public void Ipv4_mapped_addresses_are_written_as_ipv4()
    {
        // What a dual-stack [::] listener reports for an IPv4 client, on both ends of the socket.
        var source = Ep("::ffff:127.0.0.7", 40001);
        var destination = Ep("::ffff:127.0.0.1", 8080);

        Assert.Equal("PROXY TCP4 127.0.0.7 127.0.0.1 40001 8080\r\n", Text(V1(source, destination)));
        Assert.Equal(
            [.. Signature, 0x21, 0x11, 0x00, 0x0C, 127, 0, 0, 7, 127, 0, 0, 1, 0x9C, 0x41, 0x1F, 0x90],
            V2(source, destination));
    }

    [Fact]
    public void Mixed_families_become_ipv6_with_the_ipv4_side_mapped_as_haproxy_does()
    {
        var source = Ep("10.1.2.3", 1000);
        var destination = Ep("2001:db8::5", 443);

        Assert.Equal("PROXY TCP6 ::ffff:a01:203 2001:db8::5 1000 443\r\n", Text(V1(source, destination)));
        var v2 = V2(source, destination);
        Assert.Equal(ProxyHeaderWriter.V2Ipv6Length, v2.Length);
        Assert.Equal(0x21, v2[13]);
        Assert.Equal(IPAddress.Parse("::ffff:10.1.2.3").GetAddressBytes(), v2[16..32]);
        Assert.Equal(IPAddress.Parse("2001:db8::5").GetAddressBytes(), v2[32..48]);
    }

    [Fact]
    public void Unknown_endpoints_give_unknown_and_local_as_haproxy_does()
    {
        Assert.Equal("PROXY UNKNOWN\r\n", Text(V1(null, Ep("127.0.0.1", 1))));
        Assert.Equal([.. Signature, 0x20, 0x00, 0x00, 0x00], V2(Ep("127.0.0.1", 1), null));
    }

    private static readonly byte[] Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    [Fact]
    public void V2_ipv4_is_the_spec_layout_byte_for_byte()
    {
        // 2.2: signature, 0x21 (version 2, PROXY), 0x11 (AF_INET, STREAM), length 12 big-endian,
        // src addr, dst addr, src port, dst port, all in network order.
        byte[] expected =
        [
            .. Signature, 0x21, 0x11, 0x00, 0x0C,
            192, 168, 0, 1,
            192, 168, 0, 11,
            0xDC, 0x04, // 56324
            0x01, 0xBB, // 443
        ];
        Assert.Equal(expected, V2(Ep("192.168.0.1", 56324), Ep("192.168.0.11", 443)));
    }

    [Fact]
    public void V2_ipv6_is_the_spec_layout_byte_for_byte()
    {
        var source = IPAddress.Parse("2001:db8::1");
        var destination = IPAddress.Parse("2001:db8:ffff::2");
        byte[] expected =
        [
            .. Signature, 0x21, 0x21, 0x00, 0x24, // length 36
            .. source.GetAddressBytes(),
            .. destination.GetAddressBytes(),
            0xFF, 0xFF,
            0x00, 0x00,
        ];
        Assert.Equal(expected, V2(new IPEndPoint(source, 65535), new IPEndPoint(destination, 0)));
    }

    [Fact]
    public void The_longest_v1_line_fits_the_buffer_and_the_spec_limit()
    {
        var longest = Ep("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);
        var line = V1(longest, longest);
        Assert.Equal(104, line.Length); // the spec's TCP6 maximum
        Assert.True(line.Length <= ProxyHeaderWriter.MaxV1Length);
    }

    [Fact]
    public void Ipv6_text_matches_the_runtime_and_parses_back()
    {
        // RFC 5952 text, compared with IPAddress (which follows the RFC too, except that it writes
        // IPv4-mapped and IPv4-compatible addresses with a dotted tail, excluded here).
        var random = new Random(6);
        Span<byte> utf8 = stackalloc byte[Ipv6Text.MaxLength];
        var bytes = new byte[16];
        for (var i = 0; i < 5000; i++)
        {
            random.NextBytes(bytes);
            // Zero some groups, in runs, so compression and its tie rules are exercised.
            for (var g = 0; g < 8; g++)
            {
                if (random.Next(3) == 0)
                {
                    bytes[2 * g] = 0;
                    bytes[(2 * g) + 1] = 0;
                }
            }

            var address = new IPAddress(bytes);
            var text = Encoding.ASCII.GetString(utf8[..Ipv6Text.Format(bytes, utf8)]);

            Assert.Equal(address, IPAddress.Parse(text));
            var dottedInRuntime = address.IsIPv4MappedToIPv6 || !bytes.AsSpan(0, 12).ContainsAnyExcept((byte)0);
            if (!dottedInRuntime)
            {
                Assert.Equal(address.ToString(), text);
            }
        }
    }

    [Theory]
    [InlineData("::", "::")]
    [InlineData("1::", "1::")]
    [InlineData("1:0:0:2:0:0:0:3", "1:0:0:2::3")]       // the longest run
    [InlineData("1:0:0:2:0:0:3:4", "1::2:0:0:3:4")]     // the first of equal runs
    [InlineData("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7")]  // one zero group is not compressed
    [InlineData("::ffff:127.0.0.1", "::ffff:7f00:1")]   // hex groups only, as the PROXY spec describes
    public void Ipv6_text_edge_cases(string address, string expected)
    {
        Span<byte> utf8 = stackalloc byte[Ipv6Text.MaxLength];
        var length = Ipv6Text.Format(IPAddress.Parse(address).GetAddressBytes(), utf8);
        Assert.Equal(expected, Encoding.ASCII.GetString(utf8[..length]));
    }

    [Fact]
    public void Writing_allocates_nothing()
    {
        var v4 = (Ep("127.0.0.7", 40000), Ep("127.0.0.1", 8080));
        var v6 = (Ep("2001:db8::1", 40000), Ep("2001:db8::2", 8080));
        Span<byte> buffer = stackalloc byte[ProxyHeaderWriter.BufferSize];
        ProxyHeaderWriter.Write(ProxyProtocolMode.V1, v6.Item1, v6.Item2, buffer); // warm up (JIT, statics)
        ProxyHeaderWriter.Write(ProxyProtocolMode.V2, v6.Item1, v6.Item2, buffer);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            ProxyHeaderWriter.Write(ProxyProtocolMode.V1, v4.Item1, v4.Item2, buffer);
            ProxyHeaderWriter.Write(ProxyProtocolMode.V1, v6.Item1, v6.Item2, buffer);
            ProxyHeaderWriter.Write(ProxyProtocolMode.V2, v4.Item1, v4.Item2, buffer);
            ProxyHeaderWriter.Write(ProxyProtocolMode.V2, v6.Item1, v6.Item2, buffer);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Off_and_short_buffers_are_refused()
    {
        var endPoint = Ep("127.0.0.1", 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => ProxyHeaderWriter.Write(ProxyProtocolMode.Off, endPoint, endPoint, new byte[ProxyHeaderWriter.BufferSize]));
        Assert.Throws<ArgumentException>(() => ProxyHeaderWriter.WriteV1(endPoint, endPoint, new byte[ProxyHeaderWriter.BufferSize - 1]));
        Assert.Throws<ArgumentException>(() => ProxyHeaderWriter.WriteV2(endPoint, endPoint, new byte[10]));
    }
}
