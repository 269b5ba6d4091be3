using System.Buffers;
using System.Text;
using L4Balancer.Core.Tls;
using L4Balancer.TestSupport.Tls;

namespace L4Balancer.Tests.Tls;

public class ClientHelloRejectionTests
{
    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n\r\n")]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")]
    [InlineData("SSH-2.0-OpenSSH_9.2\r\n")]
    [InlineData("PROXY TCP4 10.0.0.1 10.0.0.2 1234 443\r\n")]
    public void Plain_text_protocols_are_not_tls_on_the_first_byte(string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        Assert.Equal(ClientHelloResult.NotTls, ClientHelloAssert.Read(bytes[..1]));
        Assert.Equal(ClientHelloResult.NotTls, ClientHelloAssert.Read(bytes));
    }

    [Theory]
    [InlineData(new byte[] { 0x16, 0x02 })]                          // record version 2.x
    [InlineData(new byte[] { 0x16, 0x04 })]
    [InlineData(new byte[] { 0x16, 0x03, 0x05 })]                    // 3.5 is no TLS version
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0x00, 0x30, 0x02 })]  // a ServerHello
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0x00, 0x30, 0x00 })]  // a HelloRequest
    [InlineData(new byte[] { 0x80, 0x2E, 0x01, 0x00, 0x02 })]        // SSLv2-compatible hello: no SNI possible
    [InlineData(new byte[] { 0x17, 0x03, 0x03, 0x00, 0x10 })]        // application data
    [InlineData(new byte[] { 0x00 })]
    public void Non_handshake_starts_are_not_tls_as_soon_as_visible(byte[] bytes)
    {
        Assert.Equal(ClientHelloResult.NotTls, ClientHelloAssert.Read(bytes));
        for (var length = 0; length < bytes.Length - 1 && bytes[0] == 0x16; length++)
            Assert.Equal(ClientHelloResult.NeedMoreData, ClientHelloAssert.Read(bytes[..length]));
    }

    [Fact]
    public void Empty_input_needs_more_data()
    {
        Assert.Equal(ClientHelloResult.NeedMoreData, ClientHelloReading.TryRead(ReadOnlySequence<byte>.Empty, out var name));
        Assert.Null(name);
    }

    [Theory]
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0x00, 0x00 })]        // empty handshake fragment
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0x40, 0x01 })]        // 16 385 > 2^14
    [InlineData(new byte[] { 0x16, 0x03, 0x03, 0xFF, 0xFF })]
    public void Bad_record_lengths_are_malformed_from_the_header(byte[] header) =>
        Assert.Equal(ClientHelloResult.Malformed, ClientHelloAssert.Read(header));

    [Theory]
    [InlineData(0, 0x17)] // application data between hello fragments
    [InlineData(0, 0x15)] // an alert
    [InlineData(0, 0x14)] // change_cipher_spec
    [InlineData(1, 0x02)] // record version 2.x
    [InlineData(2, 0x05)] // record version 3.5
    [InlineData(3, 0x00)] // length high byte: with the low byte 0 below, an empty fragment
    public void A_bad_second_record_header_is_malformed(int headerIndex, byte value)
    {
        var builder = new ClientHelloBuilder { RecordSizes = [100] };
        var bytes = builder.Build();
        var second = 5 + 100;
        bytes[second + headerIndex] = value;
        if (headerIndex == 3)
            bytes[second + 4] = 0;
        Assert.Equal(ClientHelloResult.Malformed, ClientHelloAssert.Read(bytes));

        // Decided on the offending byte, without waiting for the rest of the hello.
        Assert.Equal(ClientHelloResult.Malformed, ClientHelloAssert.Read(bytes[..(second + Math.Max(headerIndex, 4) + 1)]));
    }

    public static TheoryData<string, byte[]> MalformedBodies => new()
    {
        { "body shorter than version and random", Truncate(Body(), 20) },
        { "session id longer than 32", Body(sessionId: [33, .. new byte[33]]) },
        { "session id overruns the body", Body(sessionId: [0xFF, 1, 2, 3]) },
        { "odd cipher suite list", Body(suites: [0x00, 0x03, 0x13, 0x01, 0x13]) },
        { "empty cipher suite list", Body(suites: [0x00, 0x00]) },
        { "cipher suites overrun the body", Body(suites: [0xFF, 0xFE, 0x13, 0x01]) },
        { "no compression method", Body(compression: [0x00]) },
        { "compression methods overrun the body", Body(compression: [0xFF, 0x00]) },
        { "byte after the extension block", Body(trailing: [0x00]) },
        { "extension block longer than the body", Body(extensions: [0x00, 0x10, 0x00, 0x0A, 0x00, 0x00]) },
        { "lone byte of an extension length", Body(extensions: [0x00, 0x01, 0x00]) },
        { "extension header cut short", Body(extensions: Vector16([0x00, 0x0A, 0x00])) },
        { "extension data overruns the block", Body(extensions: Vector16([0x00, 0x0A, 0x00, 0x08, 0x00, 0x01])) },
        { "extension after server_name overruns", Body(extensions: Vector16([.. SniExtension(Name("a.example")), 0x00, 0x2B, 0x00, 0x09, 0x02])) },
        { "server_name list shorter than the extension", Body(extensions: Extensions(0, [0x00, 0x05, .. HostEntry("a.example")])) },
        { "server_name list longer than the extension", Body(extensions: Extensions(0, [0x00, 0x20, .. HostEntry("a.example")])) },
        { "empty server_name list", Body(extensions: Extensions(0, [0x00, 0x00])) },
        { "empty server_name extension", Body(extensions: Extensions(0, [])) },
        { "host name entry cut short", Body(extensions: Extensions(0, Vector16([0x00, 0x00]))) },
        { "host name overruns the list", Body(extensions: Extensions(0, Vector16([0x00, 0x00, 0x09, (byte)'a']))) },
        { "two host names", Body(extensions: Extensions(0, Vector16([.. HostEntry("a.example"), .. HostEntry("b.example")]))) },
        { "two server_name extensions", Body(extensions: Vector16([.. SniExtension(Name("a.example")), .. SniExtension(Name("b.example"))])) },
        { "handshake length covers bytes past the extensions", [.. Body(), 0, 0, 0] },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public void Broken_lengths_at_any_level_are_malformed(string why, byte[] body)
    {
        var wire = Wire(body);
        Assert.True(ClientHelloResult.Malformed == ClientHelloAssert.ReadBounded(wire), why);

        // The same verdict whatever the record and segment boundaries.
        byte[] message = [0x01, (byte)(body.Length >> 16), (byte)(body.Length >> 8), (byte)body.Length, .. body];
        var split = ClientHelloBuilder.Frame(message, 0x0303, [message.Length / 3, message.Length / 3, message.Length - 2 * (message.Length / 3)]);
        Assert.True(ClientHelloResult.Malformed == ClientHelloAssert.ReadBounded(split), why);
        Assert.True(ClientHelloResult.Malformed == ClientHelloAssert.ReadBounded(Sequences.Split(wire, [3, 50, 51, 90])), why);
    }

    [Fact]
    public void A_well_formed_body_from_the_same_helpers_is_read()
    {
        // Keeps the malformed cases honest: each differs from this one in one place only.
        ClientHelloAssert.Sni("a.example", Wire(Body()));
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData(".a.example")]
    [InlineData("a..example")]
    [InlineData("a.example..")]
    [InlineData("a example")]
    [InlineData("a\0.example")]
    [InlineData("*.acme.example")]
    [InlineData("a/b.example")]
    [InlineData("::1")]
    [InlineData("[::1]")]
    [InlineData("a.example:443")]
    [InlineData("caf\u00e9.example")]
    public void Names_that_are_not_host_names_are_malformed(string name)
    {
        var body = Body(extensions: Vector16(SniExtension(Name(name, Encoding.UTF8))));
        Assert.Equal(ClientHelloResult.Malformed, ClientHelloAssert.Read(Wire(body)));
    }

    [Fact]
    public void Over_long_names_and_labels_are_malformed()
    {
        var label64 = new string('a', 64);
        var name256 = string.Join('.', Enumerable.Repeat(new string('a', 63), 4)); // 255
        var cases = new[] { $"{label64}.example", name256 + "b", name256 + "." };
        foreach (var name in cases)
        {
            var body = Body(extensions: Vector16(SniExtension(Name(name))));
            Assert.True(ClientHelloResult.Malformed == ClientHelloAssert.Read(Wire(body)), name);
        }
    }

    private static byte[] Name(string name) => Encoding.ASCII.GetBytes(name);

    private static byte[] Name(string name, Encoding encoding) => encoding.GetBytes(name);

    private static byte[] HostEntry(string name) => [0x00, .. Vector16(Name(name))];

    private static byte[] SniExtension(byte[] name) => [0x00, 0x00, .. Vector16(Vector16([0x00, .. Vector16(name)]))];

    private static byte[] Extensions(ushort type, byte[] data) => Vector16([(byte)(type >> 8), (byte)type, .. Vector16(data)]);

    private static byte[] Vector16(byte[] data) => [(byte)(data.Length >> 8), (byte)data.Length, .. data];

    /// <summary>A ClientHello body whose parts (each with its own length prefix) default to valid ones.</summary>
    private static byte[] Body(byte[]? sessionId = null, byte[]? suites = null, byte[]? compression = null, byte[]? extensions = null, byte[]? trailing = null) =>
    [
        0x03, 0x03, .. new byte[32],
        .. sessionId ?? [0x00],
        .. suites ?? [0x00, 0x02, 0x13, 0x01],
        .. compression ?? [0x01, 0x00],
        .. extensions ?? Vector16(SniExtension(Name("a.example"))),
        .. trailing ?? [],
    ];

    private static byte[] Truncate(byte[] body, int length) => body[..length];

    /// <summary>One handshake record whose record and handshake lengths match <paramref name="body"/>.</summary>
    private static byte[] Wire(byte[] body)
    {
        byte[] message = [0x01, (byte)(body.Length >> 16), (byte)(body.Length >> 8), (byte)body.Length, .. body];
        return ClientHelloBuilder.Frame(message, 0x0303, [message.Length]);
    }
}
