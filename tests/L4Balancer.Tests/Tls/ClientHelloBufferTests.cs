using System.Text;
using L4Balancer.Core.Tls;
using L4Balancer.TestSupport.Tls;

namespace L4Balancer.Tests.Tls;

/// <summary>The buffer an sni connection's first bytes are read into: decisions, bytes kept, and memory held.</summary>
public class ClientHelloBufferTests
{
    /// <summary>Feeds <paramref name="bytes"/> in pieces, as receives would; returns the first decision.</summary>
    private static SniPeekStatus? Feed(ClientHelloBuffer buffer, byte[] bytes, Random random, int maxPiece)
    {
        for (var offset = 0; offset < bytes.Length;)
        {
            var piece = Math.Min(bytes.Length - offset, random.Next(1, maxPiece + 1));
            var memory = buffer.GetMemory(piece);
            Assert.True(memory.Length >= piece, $"asked room for {piece}, got {memory.Length}");
            bytes.AsMemory(offset, piece).CopyTo(memory);
            offset += piece;
            if (buffer.Advance(piece) is { } decided)
            {
                return decided;
            }
        }

        return null;
    }

    [Theory]
    [MemberData(nameof(RealHellos.Names), MemberType = typeof(RealHellos))]
    public void Reads_a_real_hello_arriving_in_pieces_and_keeps_every_byte(string name)
    {
        var hello = RealHellos.Get(name);
        using var buffer = new ClientHelloBuffer();
        var status = Feed(buffer, hello.Bytes, new Random(name.Length), maxPiece: hello.Bytes.Length > 4096 ? 3000 : 7);

        Assert.Equal(hello.Expected == ClientHelloResult.Sni ? SniPeekStatus.Sni : SniPeekStatus.NoSni, status);
        Assert.Equal(hello.ServerName, buffer.ServerName);
        Assert.Equal(hello.Bytes, buffer.Bytes.ToArray());
    }

    [Fact]
    public void Reads_a_60_KiB_hello_in_segments()
    {
        var bytes = new ClientHelloBuilder { MessageSize = 60 * 1024 }.Build();
        using var buffer = new ClientHelloBuffer();
        Assert.Equal(SniPeekStatus.Sni, Feed(buffer, bytes, new Random(1), maxPiece: 1460));
        Assert.Equal("llm.acme.example", buffer.ServerName);
        Assert.Equal(bytes, buffer.Bytes.ToArray());
    }

    [Fact]
    public void Bytes_appended_before_the_peek_count_as_received_and_are_all_kept()
    {
        // Behind a PROXY header the first bytes of the hello (or all of it, and more) came with the header.
        byte[] bytes = [.. new ClientHelloBuilder().Build(), 0x17, 0x03, 0x03, 0x00, 0x01, 0x42];
        using (var part = new ClientHelloBuffer())
        {
            Assert.Null(part.Append(bytes.AsSpan(0, 60)));
            Assert.Equal(SniPeekStatus.Sni, Feed(part, bytes[60..], new Random(3), maxPiece: 100));
            Assert.Equal(bytes, part.Bytes.ToArray());
        }

        using var whole = new ClientHelloBuffer();
        Assert.Equal(SniPeekStatus.Sni, whole.Append(bytes));
        Assert.Equal(bytes, whole.Bytes.ToArray());
        Assert.Null(whole.Append([]));

        using var garbage = new ClientHelloBuffer();
        Assert.Equal(SniPeekStatus.NotTls, garbage.Append("GET / HTTP/1.1\r\n"u8));
    }

    [Fact]
    public void Keeps_the_bytes_that_came_with_the_hello()
    {
        byte[] bytes = [.. new ClientHelloBuilder().Build(), 0x17, 0x03, 0x03, 0x00, 0x01, 0x42];
        using var buffer = new ClientHelloBuffer();
        Assert.Equal(SniPeekStatus.Sni, Feed(buffer, bytes, new Random(2), maxPiece: bytes.Length));
        Assert.Equal(bytes, buffer.Bytes.ToArray());
    }

    [Fact]
    public void Memory_held_grows_with_the_bytes_that_arrived_not_by_segments()
    {
        var bytes = new ClientHelloBuilder { MessageSize = 4000 }.Build();
        using var buffer = new ClientHelloBuffer();
        Assert.Equal(0, buffer.Capacity); // nothing before the first byte

        // One byte per receive, as a slow-loris client sends them.
        for (var i = 0; i < 1000; i++)
        {
            bytes.AsMemory(i, 1).CopyTo(buffer.GetMemory(1));
            Assert.Null(buffer.Advance(1));
            Assert.True(buffer.Capacity <= Math.Max(256, 2 * buffer.Count), $"{buffer.Count} bytes hold {buffer.Capacity}");
        }

        Assert.Equal(1000, buffer.Count);
        Assert.True(buffer.Capacity <= 2048, $"1000 bytes hold {buffer.Capacity}");
    }

    [Fact]
    public void Plain_text_is_refused_from_its_first_byte()
    {
        using var buffer = new ClientHelloBuffer();
        Assert.Equal(SniPeekStatus.NotTls, Feed(buffer, Encoding.ASCII.GetBytes("G"), new Random(3), 1));
    }

    [Fact]
    public void An_oversized_hello_is_refused_from_its_header()
    {
        var bytes = new ClientHelloBuilder { CipherSuiteCount = 10_000, MessageSize = 70_000 }.Build();
        using var buffer = new ClientHelloBuffer();
        Assert.Equal(SniPeekStatus.TooLarge, Feed(buffer, bytes[..9], new Random(4), 9));
        Assert.True(buffer.Capacity <= 256);
    }

    [Fact]
    public void A_hello_longer_than_the_buffer_limit_is_too_large_and_never_grows_the_buffer_beyond_it()
    {
        var bytes = new ClientHelloBuilder { MessageSize = 8000 }.Build();
        using var buffer = new ClientHelloBuffer(maxBytes: 4096);
        Assert.Equal(SniPeekStatus.TooLarge, Feed(buffer, bytes, new Random(5), 500));
        Assert.True(buffer.Count <= 4096);
        Assert.True(buffer.GetMemory(100_000).Length <= 4096 - buffer.Count);
    }

    [Fact]
    public void A_malformed_hello_is_reported()
    {
        var builder = new ClientHelloBuilder();
        builder.ServerNames[0] = "bad name";
        using var buffer = new ClientHelloBuffer();
        Assert.Equal(SniPeekStatus.Malformed, Feed(buffer, builder.Build(), new Random(6), 10_000));
    }

    [Fact]
    public void Advancing_past_the_memory_given_is_refused()
    {
        using var buffer = new ClientHelloBuffer(maxBytes: 300);
        var memory = buffer.GetMemory(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Advance(memory.Length + 1));
    }
}
