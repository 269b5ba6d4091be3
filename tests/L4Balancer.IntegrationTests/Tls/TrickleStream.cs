namespace L4Balancer.IntegrationTests.Tls;

/// <summary>
/// Passes reads through; writes the first <c>trickleBytes</c> bytes one per write (one socket send
/// each, with NoDelay), yielding in between, so the ClientHello reaches the balancer in 1-byte pieces.
/// </summary>
internal sealed class TrickleStream(Stream inner, int trickleBytes) : Stream
{
    private int _left = trickleBytes;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty && _left > 0)
        {
            await inner.WriteAsync(buffer[..1], cancellationToken);
            buffer = buffer[1..];
            _left--;
            await Task.Yield();
        }

        if (!buffer.IsEmpty)
        {
            await inner.WriteAsync(buffer, cancellationToken);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        var span = buffer.AsSpan(offset, count);
        while (!span.IsEmpty && _left > 0)
        {
            inner.Write(span[..1]);
            span = span[1..];
            _left--;
        }

        inner.Write(span);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
