using System.Buffers;
using System.Text;
using L4Balancer.Core.Tls;
using L4Balancer.TestSupport.Tls;

namespace L4Balancer.Tests.Tls;

public class ClientHelloReaderTests
{
    [Theory]
    [MemberData(nameof(RealHellos.Names), MemberType = typeof(RealHellos))]
    public void Reads_real_hellos(string name)
    {
        var hello = RealHellos.Get(name);
        var result = ClientHelloAssert.Read(hello.Bytes, out var serverName);
        Assert.Equal(hello.Expected, result);
        Assert.Equal(hello.ServerName, serverName);
    }

    [Fact]
    public void Openssl_splits_its_big_hello_across_two_records()
    {
        // Guards the capture itself: the multi-record case must stay covered by real bytes.
        var bytes = RealHellos.Get("openssl-big").Bytes;
        Assert.Equal(16384, (bytes[3] << 8) | bytes[4]);
        Assert.Equal(0x16, bytes[5 + 16384]);
    }

    [Theory]
    [MemberData(nameof(RealHellos.Names), MemberType = typeof(RealHellos))]
    public void One_byte_at_a_time_needs_more_data_until_the_last_byte(string name)
    {
        var hello = RealHellos.Get(name);
        for (var length = 0; length < hello.Bytes.Length; length++)
        {
            var prefix = new ReadOnlySequence<byte>(hello.Bytes, 0, length);
            Assert.Equal(ClientHelloResult.NeedMoreData, ClientHelloReading.TryRead(prefix, out var serverName));
            Assert.Null(serverName);
        }

        Assert.Equal(hello.Expected, ClientHelloAssert.Read(hello.Bytes));
    }

    [Theory]
    [MemberData(nameof(RealHellos.Names), MemberType = typeof(RealHellos))]
    public void Resumed_reads_match_fresh_reads_byte_by_byte(string name)
    {
        var hello = RealHellos.Get(name);
        var progress = default(ClientHelloProgress);
        for (var length = 0; length <= hello.Bytes.Length; length++)
        {
            var prefix = new ReadOnlySequence<byte>(hello.Bytes, 0, length);
            var resumed = ClientHelloReading.TryRead(prefix, ref progress, out var resumedName);
            var fresh = ClientHelloReading.TryRead(prefix, out var freshName);
            Assert.Equal(fresh, resumed);
            Assert.Equal(freshName, resumedName);
        }
    }

    [Theory]
    [MemberData(nameof(RealHellos.Names), MemberType = typeof(RealHellos))]
    public void Any_segmentation_gives_the_same_answer(string name)
    {
        var hello = RealHellos.Get(name);
        var random = new Random(name.Length * 7919);
        for (var i = 0; i < 200; i++)
        {
            var sequence = Sequences.RandomSplit(hello.Bytes, random, maxCuts: i % 2 == 0 ? 4 : 40);
            Assert.Equal(hello.Expected, ClientHelloReading.TryRead(sequence, out var serverName));
            Assert.Equal(hello.ServerName, serverName);
        }

        // The extreme: every byte its own segment.
        var bytewise = Sequences.Split(hello.Bytes, Enumerable.Range(1, hello.Bytes.Length - 1));
        Assert.Equal(hello.Expected, ClientHelloReading.TryRead(bytewise, out _));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Reassembles_a_hello_split_across_records(int records)
    {
        var bytes = new ClientHelloBuilder { Records = records, MessageSize = 1500 }.Build();
        ClientHelloAssert.Sni("llm.acme.example", bytes);
        for (var length = 0; length < bytes.Length; length++)
            Assert.Equal(ClientHelloResult.NeedMoreData, ClientHelloAssert.Read(bytes[..length]));
    }

    [Theory]
    [InlineData(new[] { 1 })]          // handshake type alone in the first record
    [InlineData(new[] { 1, 1, 1, 1 })] // the 4-byte handshake header spread over four records
    [InlineData(new[] { 2, 3 })]
    [InlineData(new[] { 3, 60 })]
    public void Reassembles_a_handshake_header_split_across_records(int[] sizes)
    {
        var bytes = new ClientHelloBuilder { RecordSizes = sizes }.Build();
        ClientHelloAssert.Sni("llm.acme.example", bytes);
        var random = new Random(sizes.Sum());
        for (var i = 0; i < 50; i++)
            Assert.Equal(ClientHelloResult.Sni, ClientHelloReading.TryRead(Sequences.RandomSplit(bytes, random, 10), out _));
    }

    [Fact]
    public void Reads_a_hello_cut_into_one_byte_records()
    {
        var builder = new ClientHelloBuilder();
        var messageLength = builder.BuildMessage().Length;
        builder.RecordSizes = [.. Enumerable.Repeat(1, messageLength - 1)];
        var bytes = builder.Build();
        Assert.Equal(6 * messageLength, bytes.Length);
        ClientHelloAssert.Sni("llm.acme.example", bytes);
    }

    [Fact]
    public void Resuming_keeps_a_byte_at_a_time_peek_linear_in_tiny_records()
    {
        // The hostile shape ClientHelloProgress exists for: 1-byte records arriving one byte at a time.
        var builder = new ClientHelloBuilder();
        var messageLength = builder.BuildMessage().Length;
        builder.RecordSizes = [.. Enumerable.Repeat(1, messageLength - 1)];
        var bytes = builder.Build();

        long Feed(bool resume)
        {
            var progress = default(ClientHelloProgress);
            var before = ClientHelloReader.LoopIterations;
            for (var length = 0; length <= bytes.Length; length++)
            {
                var prefix = new ReadOnlySequence<byte>(bytes, 0, length);
                if (!resume)
                    progress = default;
                var expected = length == bytes.Length ? ClientHelloResult.Sni : ClientHelloResult.NeedMoreData;
                Assert.Equal(expected, ClientHelloReading.TryRead(prefix, ref progress, out _));
            }

            return ClientHelloReader.LoopIterations - before;
        }

        var resumed = Feed(resume: true);
        var fresh = Feed(resume: false);
        Assert.True(resumed <= 4 * bytes.Length, $"{resumed} loop passes for {bytes.Length} bytes");

        // Debug builds count passes; without resuming the same feed is quadratic.
        Assert.True(fresh == 0 || fresh > 20 * resumed, $"fresh {fresh}, resumed {resumed}");
    }

    [Theory]
    [InlineData(0x0300)]
    [InlineData(0x0301)]
    [InlineData(0x0302)]
    [InlineData(0x0303)]
    [InlineData(0x0304)]
    public void Accepts_ssl3_to_tls13_record_versions(int version)
    {
        var bytes = new ClientHelloBuilder { RecordVersion = (ushort)version, Records = 2 }.Build();
        ClientHelloAssert.Sni("llm.acme.example", bytes);
    }

    [Theory]
    [InlineData(4 * 1024, 1)]
    [InlineData(16 * 1024, 1)]       // fills one record to the byte
    [InlineData(16 * 1024 + 1, 2)]
    [InlineData(60 * 1024, 4)]
    public void Reads_large_hellos(int messageSize, int expectedRecords)
    {
        var builder = new ClientHelloBuilder { MessageSize = messageSize, KeyShareLength = 1216 }; // ML-KEM-768 + X25519 sized
        var bytes = builder.Build();
        Assert.Equal(expectedRecords, builder.PayloadSizes(messageSize).Length);
        ClientHelloAssert.Sni("llm.acme.example", bytes);

        var random = new Random(messageSize);
        for (var i = 0; i < 20; i++)
            Assert.Equal(ClientHelloResult.Sni, ClientHelloReading.TryRead(Sequences.RandomSplit(bytes, random, 30), out _));

        // A Pipe hands over 4 KiB blocks: the usual shape in production.
        var blocks = Sequences.Split(bytes, Enumerable.Range(1, bytes.Length / 4096).Select(i => i * 4096));
        Assert.Equal(ClientHelloResult.Sni, ClientHelloReading.TryRead(blocks, out _));
    }

    [Fact]
    public void Reads_a_60_KiB_hello_one_byte_at_a_time()
    {
        var bytes = new ClientHelloBuilder { MessageSize = 60 * 1024 }.Build();
        var progress = default(ClientHelloProgress);
        for (var length = 0; length < bytes.Length; length++)
            Assert.Equal(ClientHelloResult.NeedMoreData, ClientHelloReading.TryRead(new ReadOnlySequence<byte>(bytes, 0, length), ref progress, out _));
        Assert.Equal(ClientHelloResult.Sni, ClientHelloReading.TryRead(new ReadOnlySequence<byte>(bytes), ref progress, out var name));
        Assert.Equal("llm.acme.example", name);
    }

    [Fact]
    public void Refuses_a_hello_over_64_KiB_from_its_header()
    {
        // The extension block tops out at 64 KiB, so a bigger hello needs a huge cipher suite list.
        var bytes = new ClientHelloBuilder { CipherSuiteCount = 10_000, MessageSize = 70_000 }.Build();
        Assert.Equal(ClientHelloResult.TooLarge, ClientHelloAssert.Read(bytes));

        // Decided as soon as the handshake length is visible: nine bytes, not 70 KB.
        Assert.Equal(ClientHelloResult.NeedMoreData, ClientHelloAssert.Read(bytes[..8]));
        Assert.Equal(ClientHelloResult.TooLarge, ClientHelloAssert.Read(bytes[..9]));
    }

    [Fact]
    public void The_limit_counts_record_headers_and_is_inclusive()
    {
        var bytes = new ClientHelloBuilder { MessageSize = 20_000 }.Build(); // two records: 20 010 bytes on the wire
        Assert.Equal(ClientHelloResult.Sni, ClientHelloAssert.Read(bytes, out _, max: bytes.Length));
        Assert.Equal(ClientHelloResult.TooLarge, ClientHelloAssert.Read(bytes, out _, max: bytes.Length - 1));
        Assert.Equal(ClientHelloResult.TooLarge, ClientHelloAssert.Read(bytes, out _, max: 19_999));
        Assert.Equal(ClientHelloResult.TooLarge, ClientHelloAssert.Read(bytes[..9], out _, max: 4096));
    }

    [Fact]
    public void Refuses_a_hello_in_tiny_records_once_the_headers_pass_the_limit()
    {
        var builder = new ClientHelloBuilder();
        var messageLength = builder.BuildMessage().Length;
        builder.RecordSizes = [.. Enumerable.Repeat(1, messageLength - 1)];
        var bytes = builder.Build();
        Assert.Equal(ClientHelloResult.TooLarge, ClientHelloAssert.Read(bytes, out _, max: bytes.Length - 1));
        Assert.Equal(ClientHelloResult.Sni, ClientHelloAssert.Read(bytes, out _, max: bytes.Length));
    }

    [Fact]
    public void No_server_name_extension_is_no_sni()
    {
        var builder = new ClientHelloBuilder();
        builder.ServerNames.Clear();
        Assert.Equal(ClientHelloResult.NoSni, ClientHelloAssert.Read(builder.Build(), out var name));
        Assert.Null(name);
    }

    [Fact]
    public void A_server_name_list_without_host_name_is_no_sni()
    {
        // name_type 7 is unassigned; RFC 6066 says its data is a uint16 vector too.
        var bytes = new ClientHelloBuilder { RawServerNameExtension = [0x00, 0x06, 0x07, 0x00, 0x03, (byte)'a', (byte)'b', (byte)'c'] }.Build();
        Assert.Equal(ClientHelloResult.NoSni, ClientHelloAssert.Read(bytes));
    }

    [Fact]
    public void Finds_the_host_name_after_other_name_types()
    {
        var bytes = new ClientHelloBuilder
        {
            RawServerNameExtension = [0x00, 0x0B, 0x07, 0x00, 0x01, 0xFF, 0x00, 0x00, 0x04, (byte)'a', (byte)'.', (byte)'b', (byte)'c'],
        }.Build();
        ClientHelloAssert.Sni("a.bc", bytes);
    }

    [Fact]
    public void A_hello_without_extensions_is_no_sni()
    {
        // SSL 3.0-style: the body ends after compression_methods.
        byte[] body = [0x03, 0x00, .. new byte[32], 0x00, 0x00, 0x02, 0x00, 0x2F, 0x01, 0x00];
        byte[] wire = [0x16, 0x03, 0x00, 0x00, (byte)(body.Length + 4), 0x01, 0x00, 0x00, (byte)body.Length, .. body];
        Assert.Equal(ClientHelloResult.NoSni, ClientHelloAssert.Read(wire));
    }

    [Theory]
    [InlineData("LLM.Acme.EXAMPLE", "llm.acme.example")]
    [InlineData("llm.acme.example.", "llm.acme.example")]
    [InlineData("Trailing.Dot.", "trailing.dot")]
    [InlineData("localhost", "localhost")]
    [InlineData("_acme-challenge.x-1.example", "_acme-challenge.x-1.example")]
    [InlineData("10.0.0.1", "10.0.0.1")]   // against RFC 6066, but harmless: no tenant claims it
    public void Normalises_the_name(string sent, string expected)
    {
        var builder = new ClientHelloBuilder();
        builder.ServerNames[0] = sent;
        ClientHelloAssert.Sni(expected, builder.Build());
    }

    [Fact]
    public void Accepts_the_longest_names()
    {
        var label = new string('a', 63);
        var name = $"{label}.{label}.{label}.{new string('b', 61)}"; // 255 bytes
        var builder = new ClientHelloBuilder();
        builder.ServerNames[0] = name;
        ClientHelloAssert.Sni(name, builder.Build());
    }

    [Fact]
    public void The_span_overload_writes_the_name_and_allocates_nothing()
    {
        var bytes = new ClientHelloBuilder { Records = 3, MessageSize = 4096 }.Build();
        var sequence = new ReadOnlySequence<byte>(bytes);
        var nameBuffer = new byte[ClientHelloReader.MaxHostNameLength];
        ClientHelloReading.TryRead(sequence, nameBuffer, out _); // warm up the pool and the JIT

        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = ClientHelloReading.TryRead(sequence, nameBuffer, out var length);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(ClientHelloResult.Sni, result);
        Assert.Equal("llm.acme.example", Encoding.ASCII.GetString(nameBuffer, 0, length));
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void A_short_name_buffer_is_a_programming_error()
    {
        var bytes = new ClientHelloBuilder().Build();
        Assert.Throws<ArgumentOutOfRangeException>(() => ClientHelloReading.TryRead(new ReadOnlySequence<byte>(bytes), new byte[254], out _));
    }

    [Fact]
    public void Bytes_after_the_hello_do_not_matter()
    {
        // An early-data record behind the hello is the backend's business.
        var hello = new ClientHelloBuilder().Build();
        byte[] bytes = [.. hello, 0x17, 0x03, 0x03, 0x00, 0x02, 0xDE, 0xAD];
        ClientHelloAssert.Sni("llm.acme.example", bytes);
    }
}
