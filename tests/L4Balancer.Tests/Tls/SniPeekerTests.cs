using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using L4Balancer.Core.Tls;

namespace L4Balancer.Tests.Tls;

public class SniPeekerTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(10);

    [Theory]
    [MemberData(nameof(RealHellos.Names), MemberType = typeof(RealHellos))]
    public async Task Peeks_a_hello_written_slowly_and_consumes_nothing(string name)
    {
        var hello = RealHellos.Get(name);
        var pipe = new Pipe();
        var random = new Random(name.Length);

        var peek = SniPeeker.PeekAsync(pipe.Reader, ClientHelloReader.DefaultMaxHelloBytes, CancellationToken.None).AsTask();
        var writer = WriteInPiecesAsync(pipe.Writer, hello.Bytes, random, maxPiece: hello.Bytes.Length > 4096 ? 3000 : 7);

        var result = await peek.WaitAsync(TestTimeout);
        await writer.WaitAsync(TestTimeout);

        var expected = hello.Expected == ClientHelloResult.Sni ? SniPeekStatus.Sni : SniPeekStatus.NoSni;
        Assert.Equal(new SniPeekResult(expected, hello.ServerName, hello.Bytes.Length), result);
        Assert.Equal(hello.Bytes, await ReadAllBufferedAsync(pipe.Reader, hello.Bytes.Length));
    }

    [Fact]
    public async Task Peeks_a_60_KiB_hello_through_a_default_pipe()
    {
        var bytes = new ClientHelloBuilder { MessageSize = 60 * 1024 }.Build();
        var pipe = new Pipe();
        var peek = SniPeeker.PeekAsync(pipe.Reader, ClientHelloReader.DefaultMaxHelloBytes, CancellationToken.None).AsTask();
        await WriteInPiecesAsync(pipe.Writer, bytes, new Random(1), maxPiece: 1460).WaitAsync(TestTimeout);

        var result = await peek.WaitAsync(TestTimeout);
        Assert.Equal(SniPeekStatus.Sni, result.Status);
        Assert.Equal("llm.acme.example", result.ServerName);
        Assert.Equal(bytes, await ReadAllBufferedAsync(pipe.Reader, bytes.Length));
    }

    [Fact]
    public async Task Keeps_the_bytes_that_follow_the_hello()
    {
        byte[] bytes = [.. new ClientHelloBuilder().Build(), 0x17, 0x03, 0x03, 0x00, 0x01, 0x42];
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(bytes);

        var result = await SniPeeker.PeekAsync(pipe.Reader, ClientHelloReader.DefaultMaxHelloBytes, CancellationToken.None).AsTask().WaitAsync(TestTimeout);
        Assert.Equal(SniPeekStatus.Sni, result.Status);
        Assert.Equal(bytes, await ReadAllBufferedAsync(pipe.Reader, bytes.Length));
    }

    [Fact]
    public async Task A_stalled_hello_times_out_and_leaves_its_bytes()
    {
        var bytes = new ClientHelloBuilder().Build();
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(bytes.AsMemory(0, 40));

        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var result = await SniPeeker.PeekAsync(pipe.Reader, ClientHelloReader.DefaultMaxHelloBytes, timeout.Token).AsTask().WaitAsync(TestTimeout);

        Assert.Equal(new SniPeekResult(SniPeekStatus.Timeout, null, 40), result);

        // Examined, not consumed: the next read waits for a new byte and then sees all 41.
        await pipe.Writer.WriteAsync(bytes.AsMemory(40, 1));
        Assert.Equal(bytes[..41], await ReadAllBufferedAsync(pipe.Reader, 41));
    }

    [Fact]
    public async Task An_expired_token_is_a_timeout_even_with_no_bytes()
    {
        var pipe = new Pipe();
        var result = await SniPeeker.PeekAsync(pipe.Reader, ClientHelloReader.DefaultMaxHelloBytes, new CancellationToken(canceled: true)).AsTask().WaitAsync(TestTimeout);
        Assert.Equal(SniPeekStatus.Timeout, result.Status);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(100)]
    public async Task A_client_that_hangs_up_early_is_truncated(int sent)
    {
        var bytes = new ClientHelloBuilder().Build();
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(bytes.AsMemory(0, sent));
        await pipe.Writer.CompleteAsync();

        var result = await SniPeeker.PeekAsync(pipe.Reader, ClientHelloReader.DefaultMaxHelloBytes, CancellationToken.None).AsTask().WaitAsync(TestTimeout);
        Assert.Equal(new SniPeekResult(SniPeekStatus.Truncated, null, sent), result);
    }

    [Fact]
    public async Task Plain_text_is_refused_without_waiting_for_more()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes("G"));

        var result = await SniPeeker.PeekAsync(pipe.Reader, ClientHelloReader.DefaultMaxHelloBytes, CancellationToken.None).AsTask().WaitAsync(TestTimeout);
        Assert.Equal(new SniPeekResult(SniPeekStatus.NotTls, null, 1), result);
    }

    [Fact]
    public async Task An_oversized_hello_is_refused_from_its_header()
    {
        var bytes = new ClientHelloBuilder { CipherSuiteCount = 10_000, MessageSize = 70_000 }.Build();
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(bytes.AsMemory(0, 9));

        var result = await SniPeeker.PeekAsync(pipe.Reader, ClientHelloReader.DefaultMaxHelloBytes, CancellationToken.None).AsTask().WaitAsync(TestTimeout);
        Assert.Equal(SniPeekStatus.TooLarge, result.Status);
    }

    [Fact]
    public async Task A_malformed_hello_is_reported()
    {
        var builder = new ClientHelloBuilder();
        builder.ServerNames[0] = "bad name";
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(builder.Build());

        var result = await SniPeeker.PeekAsync(pipe.Reader, ClientHelloReader.DefaultMaxHelloBytes, CancellationToken.None).AsTask().WaitAsync(TestTimeout);
        Assert.Equal(SniPeekStatus.Malformed, result.Status);
    }

    [Fact]
    public async Task Cancel_pending_read_ends_the_peek()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(new byte[] { 0x16, 0x03 });
        var peek = SniPeeker.PeekAsync(pipe.Reader, ClientHelloReader.DefaultMaxHelloBytes, CancellationToken.None).AsTask();

        // The two bytes were read synchronously; the peek now waits for more.
        Assert.False(peek.IsCompleted);

        pipe.Reader.CancelPendingRead();
        var result = await peek.WaitAsync(TestTimeout);
        Assert.Equal(SniPeekStatus.Canceled, result.Status);
    }

    [Fact]
    public async Task A_transport_failure_is_the_callers_to_handle()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(new byte[] { 0x16, 0x03 });
        var peek = SniPeeker.PeekAsync(pipe.Reader, ClientHelloReader.DefaultMaxHelloBytes, CancellationToken.None).AsTask();

        // The two bytes were read synchronously; the peek now waits for more.
        Assert.False(peek.IsCompleted);

        await pipe.Writer.CompleteAsync(new IOException("connection reset"));
        var error = await Assert.ThrowsAsync<IOException>(() => peek.WaitAsync(TestTimeout));
        Assert.Equal("connection reset", error.Message);
    }

    private static async Task WriteInPiecesAsync(PipeWriter writer, byte[] bytes, Random random, int maxPiece)
    {
        for (var offset = 0; offset < bytes.Length;)
        {
            var piece = Math.Min(bytes.Length - offset, random.Next(1, maxPiece + 1));
            await writer.WriteAsync(bytes.AsMemory(offset, piece));
            offset += piece;

            // Let the reader run between pieces so it really sees a growing buffer.
            await Task.Yield();
        }
    }

    /// <summary>Reads what the pipe holds (after a peek, the same bytes again) without waiting for completion.</summary>
    private static async Task<byte[]> ReadAllBufferedAsync(PipeReader reader, int expectedLength)
    {
        var result = await reader.ReadAsync().AsTask().WaitAsync(TestTimeout);
        var bytes = result.Buffer.ToArray();
        reader.AdvanceTo(result.Buffer.End);
        Assert.Equal(expectedLength, bytes.Length);
        return bytes;
    }
}
