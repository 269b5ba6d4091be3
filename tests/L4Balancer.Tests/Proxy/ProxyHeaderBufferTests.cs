using System.Buffers.Binary;
using System.Net;
using System.Text;
using L4Balancer.Core.Config;
using L4Balancer.Core.ProxyProtocol;

namespace L4Balancer.Tests.Proxy;

/// <summary>
/// The buffer an accept_proxy connection's header is read into: it asks for no more than the header
/// can still need (so a v2 header is read to its last byte and no further), keeps the client bytes that
/// came with a v1 line, and refuses what the parser refuses, plus a v2 header above the cap.
/// </summary>
public class ProxyHeaderBufferTests
{
    private static readonly IPEndPoint Client = new(IPAddress.Parse("203.0.113.7"), 51234);
    private static readonly IPEndPoint Server = new(IPAddress.Parse("192.0.2.10"), 443);

    private static byte[] Header(ProxyProtocolMode mode, IPEndPoint? source = null, IPEndPoint? destination = null)
    {
        var buffer = new byte[ProxyHeaderWriter.BufferSize];
        return buffer[..ProxyHeaderWriter.Write(mode, source ?? Client, destination ?? Server, buffer)];
    }

    /// <summary>
    /// Delivers <paramref name="stream"/> as a socket would: each receive takes what the buffer offers,
    /// at most <paramref name="maxPiece"/> bytes. Returns the first result that is not Incomplete (or
    /// the last one) and how many bytes were taken.
    /// </summary>
    private static (ProxyHeaderParseResult Result, int Taken) Feed(ProxyHeaderBuffer buffer, byte[] stream, int maxPiece)
    {
        var taken = 0;
        var result = ProxyHeaderParseResult.Fail(ProxyHeaderStatus.Incomplete, "nothing yet");
        while (taken < stream.Length)
        {
            var memory = buffer.GetMemory();
            Assert.False(memory.IsEmpty, "an incomplete header must always have room for more");
            var n = Math.Min(Math.Min(memory.Length, maxPiece), stream.Length - taken);
            stream.AsMemory(taken, n).CopyTo(memory);
            taken += n;
            result = buffer.Advance(n);
            if (result.Status != ProxyHeaderStatus.Incomplete)
            {
                break;
            }
        }

        return (result, taken);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void A_v2_header_arriving_in_pieces_is_read_to_its_last_byte_and_no_further(int maxPiece)
    {
        var header = Header(ProxyProtocolMode.V2);
        byte[] stream = [.. header, .. "client hello"u8];
        using var buffer = new ProxyHeaderBuffer();

        var (result, taken) = Feed(buffer, stream, maxPiece);

        Assert.True(result.IsComplete, result.ToString());
        Assert.Equal(header.Length, taken); // the client's bytes stay in the socket
        Assert.Equal(Client, result.Header!.Source);
        Assert.True(buffer.Rest.IsEmpty);
        Assert.True(buffer.GetMemory().IsEmpty);
    }

    [Fact]
    public void After_the_fixed_part_a_v2_header_asks_for_exactly_its_announced_length()
    {
        var header = Header(ProxyProtocolMode.V2, new(IPAddress.Parse("2001:db8::7"), 1), new(IPAddress.Parse("2001:db8::1"), 2));
        using var buffer = new ProxyHeaderBuffer();
        Assert.Equal(ProxyHeaderWriter.MaxV1Length, buffer.GetMemory().Length); // not known yet: up to a v1 line
        header.AsSpan(0, 20).CopyTo(buffer.GetMemory().Span);
        Assert.Equal(ProxyHeaderStatus.Incomplete, buffer.Advance(20).Status);

        Assert.Equal(header.Length - 20, buffer.GetMemory().Length);
    }

    [Fact]
    public void A_v2_header_and_client_bytes_in_one_receive_keep_the_client_bytes()
    {
        var header = Header(ProxyProtocolMode.V2);
        using var buffer = new ProxyHeaderBuffer();

        var (result, taken) = Feed(buffer, [.. header, .. "client hello"u8], maxPiece: 4096);

        Assert.True(result.IsComplete, result.ToString());
        Assert.Equal(header.Length + 12, taken);
        Assert.Equal("client hello"u8.ToArray(), buffer.Rest.ToArray());
    }

    [Fact]
    public void A_v2_header_with_tlvs_is_read_whole_growing_past_the_first_rent()
    {
        // 28 address-and-port bytes of IPv4 plus one 1000-byte TLV (type 0xE0, a custom one).
        var plain = Header(ProxyProtocolMode.V2);
        var tlv = new byte[3 + 1000];
        tlv[0] = 0xE0;
        BinaryPrimitives.WriteUInt16BigEndian(tlv.AsSpan(1), 1000);
        byte[] header = [.. plain, .. tlv];
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), (ushort)(header.Length - 16));
        using var buffer = new ProxyHeaderBuffer();

        var (result, taken) = Feed(buffer, [.. header, 1, 2, 3], maxPiece: 1460);

        Assert.True(result.IsComplete, result.ToString());
        Assert.Equal(header.Length, taken);
        Assert.Equal(Client, result.Header!.Source);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1460)]
    public void A_v1_line_keeps_the_client_bytes_that_came_with_it(int maxPiece)
    {
        var header = Header(ProxyProtocolMode.V1);
        var payload = Encoding.ASCII.GetBytes(new string('x', 200));
        using var buffer = new ProxyHeaderBuffer();

        var (result, taken) = Feed(buffer, [.. header, .. payload], maxPiece);

        Assert.True(result.IsComplete, result.ToString());
        Assert.True(taken <= ProxyHeaderWriter.MaxV1Length, $"took {taken} bytes: more than a v1 line can be");
        Assert.Equal(payload[..(taken - header.Length)], buffer.Rest.ToArray());
        Assert.Equal(taken - header.Length, buffer.RestLength);
        Assert.Equal((IPEndPoint?)Client, result.Header!.Source);
    }

    [Fact]
    public void Rest_length_is_kept_after_dispose_for_the_byte_counts()
    {
        var buffer = new ProxyHeaderBuffer();
        Feed(buffer, [.. Header(ProxyProtocolMode.V1), .. "abc"u8], maxPiece: 200);
        buffer.Dispose();

        Assert.Equal(3, buffer.RestLength);
        Assert.True(buffer.Rest.IsEmpty);
    }

    [Fact]
    public void A_v2_local_header_is_complete_and_names_no_client()
    {
        var header = LocalHeader();
        using var buffer = new ProxyHeaderBuffer();

        var (result, _) = Feed(buffer, [.. header, .. "data"u8], maxPiece: 100);

        Assert.True(result.IsComplete, result.ToString());
        Assert.Equal("data"u8.ToArray(), buffer.Rest.ToArray());
        Assert.Equal(ProxyCommand.Local, result.Header!.Command);
        Assert.False(result.Header.NamesTcpClient);
    }

    private static byte[] LocalHeader()
    {
        var header = new byte[16];
        ProxyHeaderWriter.V2Signature.CopyTo(header);
        header[12] = 0x20; // version 2, LOCAL
        return header;
    }

    [Theory]
    [InlineData(0x12, true)] // UDP over IPv4: HAProxy keeps the connection's addresses
    [InlineData(0x00, false)] // AF_UNSPEC
    [InlineData(0x31, false)] // AF_UNIX stream
    public void Proxy_headers_of_other_families_name_no_tcp_client(byte family, bool hasAddresses)
    {
        var header = Header(ProxyProtocolMode.V2);
        if (family == 0x31)
        {
            header = [.. header[..16], .. new byte[216]];
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), 216);
        }
        else if (family == 0x00)
        {
            header = header[..16];
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), 0);
        }

        header[13] = family;
        using var buffer = new ProxyHeaderBuffer();

        var (result, _) = Feed(buffer, header, maxPiece: 1000);

        Assert.True(result.IsComplete, result.ToString());
        Assert.Equal(hasAddresses, result.Header!.Source is not null);
        Assert.False(result.Header.NamesTcpClient);
    }

    [Fact]
    public void A_v1_unknown_line_names_no_tcp_client()
    {
        using var buffer = new ProxyHeaderBuffer();

        var (result, _) = Feed(buffer, "PROXY UNKNOWN\r\nrest"u8.ToArray(), maxPiece: 200);

        Assert.True(result.IsComplete, result.ToString());
        Assert.False(result.Header!.NamesTcpClient);
        Assert.Equal("rest"u8.ToArray(), buffer.Rest.ToArray());
    }

    [Fact]
    public void A_v2_header_announcing_more_than_the_cap_is_refused_after_its_fixed_part()
    {
        var header = Header(ProxyProtocolMode.V2)[..16];
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), ProxyHeaderBuffer.MaxV2Length - 16 + 1);
        using var buffer = new ProxyHeaderBuffer();

        var (result, taken) = Feed(buffer, [.. header, .. new byte[1000]], maxPiece: 1000);

        Assert.Equal(ProxyHeaderStatus.TooLarge, result.Status);
        Assert.Equal(ProxyHeaderWriter.MaxV1Length, taken); // the first receive; nothing more is asked for
    }

    [Fact]
    public void A_v2_header_at_the_cap_is_read()
    {
        var plain = Header(ProxyProtocolMode.V2);
        var tlvLength = ProxyHeaderBuffer.MaxV2Length - plain.Length - 3;
        var tlv = new byte[3 + tlvLength];
        tlv[0] = 0xE0;
        BinaryPrimitives.WriteUInt16BigEndian(tlv.AsSpan(1), (ushort)tlvLength);
        byte[] header = [.. plain, .. tlv];
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), (ushort)(header.Length - 16));
        using var buffer = new ProxyHeaderBuffer();

        var (result, taken) = Feed(buffer, header, maxPiece: 1460);

        Assert.True(result.IsComplete, result.ToString());
        Assert.Equal(ProxyHeaderBuffer.MaxV2Length, taken);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n", nameof(ProxyHeaderStatus.NotProxyProtocol))]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", nameof(ProxyHeaderStatus.MalformedLine))]
    [InlineData("PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n", nameof(ProxyHeaderStatus.MalformedLine))]
    [InlineData("PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n", nameof(ProxyHeaderStatus.MalformedLine))]
    public void What_the_parser_refuses_is_refused(string text, string status)
    {
        var expected = Enum.Parse<ProxyHeaderStatus>(status);
        using var buffer = new ProxyHeaderBuffer();

        var (result, _) = Feed(buffer, Encoding.ASCII.GetBytes(text), maxPiece: 3);

        Assert.Equal(expected, result.Status);
    }

    [Fact]
    public void A_v1_line_without_crlf_is_refused_at_107_bytes_having_read_no_more()
    {
        using var buffer = new ProxyHeaderBuffer();

        var (result, taken) = Feed(buffer, Encoding.ASCII.GetBytes("PROXY TCP4 " + new string('1', 300)), maxPiece: 1460);

        Assert.Equal(ProxyHeaderStatus.LineTooLong, result.Status);
        Assert.Equal(ProxyHeaderWriter.MaxV1Length, taken);
    }

    [Fact]
    public void A_truncated_header_stays_incomplete()
    {
        var header = Header(ProxyProtocolMode.V2);
        using var buffer = new ProxyHeaderBuffer();

        var (result, _) = Feed(buffer, header[..20], maxPiece: 7);

        Assert.Equal(ProxyHeaderStatus.Incomplete, result.Status);
        Assert.Equal(20, buffer.Count);
        Assert.Null(buffer.Header);
    }
}
