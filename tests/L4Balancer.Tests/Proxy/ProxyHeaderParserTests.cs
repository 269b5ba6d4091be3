using System.Net;
using System.Text;
using L4Balancer.Core.Config;
using L4Balancer.Core.ProxyProtocol;

namespace L4Balancer.Tests.Proxy;

public class ProxyHeaderParserTests
{
    private static readonly byte[] Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    private static IPEndPoint Ep(string address, int port) => new(IPAddress.Parse(address), port);

    private static byte[] Write(int version, IPEndPoint? source, IPEndPoint? destination)
    {
        var buffer = new byte[ProxyHeaderWriter.BufferSize];
        var length = ProxyHeaderWriter.Write(version == 1 ? ProxyProtocolMode.V1 : ProxyProtocolMode.V2, source, destination, buffer);
        return buffer[..length];
    }

    private static ProxyHeaderParseResult Parse(string ascii) => ProxyHeaderParser.Parse(Encoding.ASCII.GetBytes(ascii));

    public static TheoryData<int, string, int, string, int, string, string> RoundTrips()
    {
        var data = new TheoryData<int, string, int, string, int, string, string>();
        foreach (var version in new[] { 1, 2 })
        {
            // version, source, port, destination, port, expected source, expected destination
            data.Add(version, "127.0.0.7", 40001, "127.0.0.1", 8080, "127.0.0.7:40001", "127.0.0.1:8080");
            data.Add(version, "0.0.0.0", 0, "255.255.255.255", 65535, "0.0.0.0:0", "255.255.255.255:65535");
            data.Add(version, "::1", 50000, "::1", 443, "[::1]:50000", "[::1]:443");
            data.Add(version, "2001:db8:1:2:3:4:5:6", 1, "fe80::1", 2, "[2001:db8:1:2:3:4:5:6]:1", "[fe80::1]:2");
            data.Add(version, "::ffff:10.9.8.7", 1234, "::ffff:10.0.0.1", 443, "10.9.8.7:1234", "10.0.0.1:443"); // dual-stack listener
            data.Add(version, "10.9.8.7", 1234, "2001:db8::1", 443, "[::ffff:10.9.8.7]:1234", "[2001:db8::1]:443"); // mixed: TCP6
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RoundTrips))]
    public void Writer_output_parses_back_to_the_same_endpoints(int version, string source, int sourcePort, string destination, int destinationPort, string expectedSource, string expectedDestination)
    {
        var bytes = Write(version, Ep(source, sourcePort), Ep(destination, destinationPort));
        byte[] withData = [.. bytes, .. "GET / HTTP/1.1\r\n"u8];

        var result = ProxyHeaderParser.Parse(withData);

        Assert.True(result.IsComplete, result.ToString());
        var header = result.Header!;
        Assert.Equal(version, header.Version);
        Assert.Equal(ProxyCommand.Proxy, header.Command);
        Assert.True(header.IsStream);
        Assert.Equal(expectedSource, header.Source!.ToString());
        Assert.Equal(expectedDestination, header.Destination!.ToString());
        Assert.Equal(expectedSource.StartsWith('[') ? ProxyAddressFamily.Inet6 : ProxyAddressFamily.Inet, header.Family);
        Assert.Equal(bytes.Length, header.Length); // the client's bytes start right after
    }

    [Theory]
    [MemberData(nameof(RoundTrips))]
    public void Every_proper_prefix_of_a_header_is_incomplete(int version, string source, int sourcePort, string destination, int destinationPort, string expectedSource, string expectedDestination)
    {
        _ = (expectedSource, expectedDestination);
        var bytes = Write(version, Ep(source, sourcePort), Ep(destination, destinationPort));
        for (var length = 0; length < bytes.Length; length++)
        {
            var result = ProxyHeaderParser.Parse(bytes.AsSpan(0, length));
            Assert.True(result.Status == ProxyHeaderStatus.Incomplete, $"{length} of {bytes.Length} bytes: {result}");
        }
    }

    [Fact]
    public void The_spec_v1_example_parses()
    {
        var result = Parse("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\nHost: 192.168.0.11\r\n\r\n");

        Assert.True(result.IsComplete, result.ToString());
        Assert.Equal(Ep("192.168.0.1", 56324), result.Header!.Source);
        Assert.Equal(Ep("192.168.0.11", 443), result.Header.Destination);
        Assert.Equal(47, result.Header.Length);
    }

    [Fact]
    public void The_spec_v1_maximum_lines_parse()
    {
        var ffff = string.Join(':', Enumerable.Repeat("ffff", 8));
        Assert.True(Parse($"PROXY TCP6 {ffff} {ffff} 65535 65535\r\n").IsComplete);
        Assert.True(Parse("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n").IsComplete);

        // The worst case, 107 bytes: UNKNOWN followed by anything, which the receiver ignores.
        var worst = $"PROXY UNKNOWN {ffff} {ffff} 65535 65535\r\n";
        Assert.Equal(107, worst.Length);
        var result = Parse(worst);
        Assert.True(result.IsComplete, result.ToString());
        Assert.Equal(ProxyAddressFamily.Unspecified, result.Header!.Family);
        Assert.Null(result.Header.Source);
        Assert.Equal(107, result.Header.Length);
    }

    [Theory]
    [InlineData("PROXY UNKNOWN\r\n", 15)]
    [InlineData("PROXY UNKNOWN whatever comes here\r\nDATA", 35)]
    public void V1_unknown_carries_no_addresses(string text, int length)
    {
        var result = Parse(text);
        Assert.True(result.IsComplete, result.ToString());
        Assert.Equal((1, ProxyAddressFamily.Unspecified, length), (result.Header!.Version, result.Header.Family, result.Header.Length));
        Assert.Null(result.Header.Source);
        Assert.Null(result.Header.Destination);
    }

    [Fact]
    public void V1_accepts_upper_case_and_dotted_tail_ipv6_as_inet_pton_does()
    {
        var result = Parse("PROXY TCP6 2001:DB8::A ::ffff:127.0.0.7 1 2\r\n");
        Assert.True(result.IsComplete, result.ToString());
        Assert.Equal(Ep("2001:db8::a", 1), result.Header!.Source);
        Assert.Equal(Ep("::ffff:127.0.0.7", 2), result.Header.Destination);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n")]
    [InlineData("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n")]
    [InlineData("PROXY\tTCP4 1.2.3.4 5.6.7.8 1 2\r\n")]
    [InlineData("PROXX")]
    [InlineData("\x16\x03\x01")] // a TLS record
    public void Not_a_header_is_rejected_as_such(string text)
    {
        Assert.Equal(ProxyHeaderStatus.NotProxyProtocol, Parse(text).Status);
    }

    [Theory]
    [InlineData("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", "exactly one space")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", "exactly one space")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "expected source address")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", "too many fields")]
    [InlineData("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", "TCP4, TCP6 or UNKNOWN")]
    [InlineData("PROXY UNKNOWNX\r\n", "TCP4, TCP6 or UNKNOWN")]
    [InlineData("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", "TCP4, TCP6 or UNKNOWN")]
    [InlineData("PROXY \r\n", "TCP4, TCP6 or UNKNOWN")]
    [InlineData("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", "source address")]          // leading zero (octal confusion)
    [InlineData("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", "source address")]
    [InlineData("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", "source address")]
    [InlineData("PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n", "source address")]
    [InlineData("PROXY TCP4 1.2..4 5.6.7.8 1 2\r\n", "source address")]
    [InlineData("PROXY TCP4 0x7f.0.0.1 5.6.7.8 1 2\r\n", "source address")]
    [InlineData("PROXY TCP4 ::1 5.6.7.8 1 2\r\n", "source address")]                 // family mismatch
    [InlineData("PROXY TCP4 1.2.3.4 ::1 1 2\r\n", "destination address")]
    [InlineData("PROXY TCP6 1.2.3.4 ::1 1 2\r\n", "source address")]
    [InlineData("PROXY TCP6 [::1] ::1 1 2\r\n", "source address")]
    [InlineData("PROXY TCP6 ::1%1 ::1 1 2\r\n", "source address")]
    [InlineData("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n", "source address")]
    [InlineData("PROXY TCP6 12345:: ::1 1 2\r\n", "source address")]
    [InlineData("PROXY TCP6 ::1:: ::1 1 2\r\n", "source address")]
    [InlineData("PROXY TCP6 ::ffff:1.2.3.04 ::1 1 2\r\n", "source address")]
    [InlineData("PROXY TCP6 1.2.3.4::1 ::1 1 2\r\n", "source address")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", "source port")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", "source port")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", "source port")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 +2\r\n", "destination port")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 100000\r\n", "destination port")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "bare LF")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", "bare CR")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n", "bare CR")]
    public void Malformed_v1_lines_are_rejected_with_the_field_named(string text, string because)
    {
        var result = Parse(text);
        Assert.Equal(ProxyHeaderStatus.MalformedLine, result.Status);
        Assert.True(result.IsInvalid);
        Assert.Null(result.Header);
        Assert.Contains(because, result.Message);
    }

    [Fact]
    public void V1_lines_longer_than_107_bytes_are_rejected()
    {
        var ffff = string.Join(':', Enumerable.Repeat("ffff", 8));
        var line = $"PROXY UNKNOWN {ffff} {ffff} 65535 655350\r\n"; // 108 bytes with its CRLF
        Assert.Equal(108, line.Length);
        Assert.Equal(ProxyHeaderStatus.LineTooLong, Parse(line).Status);

        // Without any CRLF: incomplete up to 106 bytes, too long from 107.
        var noEnd = new string('x', 200).Insert(0, "PROXY UNKNOWN ");
        Assert.Equal(ProxyHeaderStatus.Incomplete, Parse(noEnd[..106]).Status);
        Assert.Equal(ProxyHeaderStatus.LineTooLong, Parse(noEnd[..107]).Status);
        Assert.Equal(ProxyHeaderStatus.LineTooLong, Parse(noEnd).Status);

        // A CR as the 107th byte cannot be followed by its LF within the limit.
        Assert.Equal(ProxyHeaderStatus.LineTooLong, Parse(noEnd[..106] + "\r").Status);
    }

    private static byte[] V2(byte versionCommand, byte family, ushort length, params byte[] rest) =>
        [.. Signature, versionCommand, family, (byte)(length >> 8), (byte)length, .. rest];

    private static readonly byte[] Ipv4Block = [127, 0, 0, 7, 127, 0, 0, 1, 0x9C, 0x41, 0x1F, 0x90];

    [Fact]
    public void V2_spec_bytes_parse()
    {
        var result = ProxyHeaderParser.Parse(V2(0x21, 0x11, 12, Ipv4Block));

        Assert.True(result.IsComplete, result.ToString());
        Assert.Equal(Ep("127.0.0.7", 40001), result.Header!.Source);
        Assert.Equal(Ep("127.0.0.1", 8080), result.Header.Destination);
        Assert.Equal(28, result.Header.Length);
    }

    [Fact]
    public void V2_tlvs_within_the_length_are_skipped()
    {
        // A NOOP TLV (0x04) of 3 bytes and an AUTHORITY TLV (0x02) of 5 bytes after the addresses.
        byte[] tlvs = [0x04, 0x00, 0x03, 0, 0, 0, 0x02, 0x00, 0x05, .. "a.com"u8];
        var result = ProxyHeaderParser.Parse(V2(0x21, 0x11, (ushort)(12 + tlvs.Length), [.. Ipv4Block, .. tlvs, .. "data"u8]));

        Assert.True(result.IsComplete, result.ToString());
        Assert.Equal(16 + 12 + tlvs.Length, result.Header!.Length);
        Assert.Equal(Ep("127.0.0.7", 40001), result.Header.Source);
    }

    [Fact]
    public void V2_datagram_and_unspecified_and_unix_are_recognised()
    {
        var udp = ProxyHeaderParser.Parse(V2(0x21, 0x12, 12, Ipv4Block));
        Assert.True(udp.IsComplete);
        Assert.False(udp.Header!.IsStream);
        Assert.Equal(Ep("127.0.0.7", 40001), udp.Header.Source);

        var unspec = ProxyHeaderParser.Parse(V2(0x21, 0x00, 3, 1, 2, 3));
        Assert.True(unspec.IsComplete);
        Assert.Equal((ProxyAddressFamily.Unspecified, 19), (unspec.Header!.Family, unspec.Header.Length));
        Assert.Null(unspec.Header.Source);

        var unix = ProxyHeaderParser.Parse(V2(0x21, 0x31, 216, new byte[216]));
        Assert.True(unix.IsComplete);
        Assert.Equal((ProxyAddressFamily.Unix, true, 232), (unix.Header!.Family, unix.Header.IsStream, unix.Header.Length));
        Assert.Null(unix.Header.Source);
    }

    [Fact]
    public void V2_local_ignores_family_and_skips_the_block()
    {
        // "The receiver must accept this connection as valid and must ... discard the protocol block including the family."
        var result = ProxyHeaderParser.Parse(V2(0x20, 0xFF, 4, 9, 9, 9, 9));

        Assert.True(result.IsComplete, result.ToString());
        Assert.Equal((ProxyCommand.Local, ProxyAddressFamily.Unspecified, 20), (result.Header!.Command, result.Header.Family, result.Header.Length));
        Assert.Null(result.Header.Source);
    }

    public static TheoryData<byte[], string, string> BadV2 => new()
    {
        { [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x55, 0x0A, 0x21, 0x11, 0, 12, .. Ipv4Block], nameof(ProxyHeaderStatus.NotProxyProtocol), "signature" },
        { [0x0D, 0x0A, 0x0D, 0x0B], nameof(ProxyHeaderStatus.NotProxyProtocol), "signature" },
        { V2(0x11, 0x11, 12, Ipv4Block), nameof(ProxyHeaderStatus.UnsupportedVersion), "version 1" },
        { V2(0x31, 0x11, 12, Ipv4Block), nameof(ProxyHeaderStatus.UnsupportedVersion), "version 3" },
        { V2(0x22, 0x11, 12, Ipv4Block), nameof(ProxyHeaderStatus.UnsupportedCommand), "command 2" },
        { V2(0x2F, 0x11, 12, Ipv4Block), nameof(ProxyHeaderStatus.UnsupportedCommand), "command 15" },
        { V2(0x21, 0x13, 12, Ipv4Block), nameof(ProxyHeaderStatus.UnsupportedFamily), "0x13" },
        { V2(0x21, 0x41, 12, Ipv4Block), nameof(ProxyHeaderStatus.UnsupportedFamily), "0x41" },
        { V2(0x21, 0x01, 12, Ipv4Block), nameof(ProxyHeaderStatus.UnsupportedFamily), "0x01" },
        { V2(0x21, 0x11, 11, Ipv4Block[..11]), nameof(ProxyHeaderStatus.BadLength), "shorter than the 12" },
        { V2(0x21, 0x21, 12, Ipv4Block), nameof(ProxyHeaderStatus.BadLength), "shorter than the 36" },
        { V2(0x21, 0x31, 0), nameof(ProxyHeaderStatus.BadLength), "shorter than the 216" },
        { V2(0x21, 0x11, 14, [.. Ipv4Block, 0x04, 0x00]), nameof(ProxyHeaderStatus.BadLength), "TLV header overruns" },
        { V2(0x21, 0x11, 16, [.. Ipv4Block, 0x04, 0x00, 0x02, 0x00]), nameof(ProxyHeaderStatus.BadLength), "TLV value overruns" },
    };

    [Theory]
    [MemberData(nameof(BadV2))]
    public void Malformed_v2_headers_are_rejected_with_a_clear_result(byte[] bytes, string status, string because)
    {
        var result = ProxyHeaderParser.Parse(bytes);
        Assert.Equal(status, result.Status.ToString());
        Assert.True(result.IsInvalid);
        Assert.Contains(because, result.Message);
    }

    [Fact]
    public void V2_shorter_than_its_announced_length_is_incomplete()
    {
        // At end of stream that is a truncated header: the caller turns Incomplete into a rejection.
        var announced = V2(0x21, 0x11, 20, Ipv4Block); // 8 TLV bytes announced, none sent
        Assert.Equal(ProxyHeaderStatus.Incomplete, ProxyHeaderParser.Parse(announced).Status);
        Assert.Equal(ProxyHeaderStatus.Incomplete, ProxyHeaderParser.Parse(Signature).Status);
        Assert.Equal(ProxyHeaderStatus.Incomplete, ProxyHeaderParser.Parse([]).Status);
    }
}
