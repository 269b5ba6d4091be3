using System.Buffers;

namespace L4Balancer.Core.Tls;

/// <summary>
/// The first bytes of an sni connection, kept while its ClientHello arrives and then replayed to the
/// backend (Envoy's <c>SplicePump::prepare(initial_u2d, …)</c> shape: peeked bytes go out before the relay).
/// It grows with the bytes that actually arrived, not by pipe segments: a slow-loris connection that
/// sent 10 bytes holds a 256-byte array, where a 64 KiB pipe segment held 64 KiB per connection
/// (3 200 slow-loris connections: RSS 86 → 404 MB, issue 11). No I/O here; the caller receives into
/// <see cref="GetMemory"/> and reports with <see cref="Advance"/>.
/// </summary>
internal sealed class ClientHelloBuffer : IDisposable
{
    /// <summary>A hello without post-quantum key shares fits; larger ones double from here.</summary>
    private const int MinimumCapacity = 256;

    private readonly int _maxBytes;
    private byte[] _buffer = [];
    private int _count;
    private ClientHelloProgress _progress;

    /// <param name="maxBytes">Bytes, record headers included, the hello may take (SPEC: up to 64 KiB).</param>
    public ClientHelloBuffer(int maxBytes = ClientHelloReader.DefaultMaxHelloBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        _maxBytes = maxBytes;
    }

    /// <summary>Bytes received so far (read from other threads for progress and live byte counts).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Bytes of memory held now.</summary>
    public int Capacity => _buffer.Length;

    /// <summary>Everything received, from the connection's first byte.</summary>
    public ReadOnlyMemory<byte> Bytes => _buffer.AsMemory(0, _count);

    /// <summary>The host name once <see cref="Advance"/> said <see cref="SniPeekStatus.Sni"/>.</summary>
    public string? ServerName { get; private set; }

    /// <summary>
    /// Room for at least <paramref name="sizeHint"/> more bytes (at least one; the bytes the socket
    /// says are waiting is the right hint), growing by doubling but never past the hello limit.
    /// Empty only when the limit is reached, which <see cref="Advance"/> has already reported.
    /// </summary>
    public Memory<byte> GetMemory(int sizeHint)
    {
        var wanted = (long)_count + Math.Max(1, sizeHint);
        if (wanted > _buffer.Length && _buffer.Length < _maxBytes)
        {
            var capacity = (int)Math.Min(_maxBytes, Math.Max(wanted, Math.Max(MinimumCapacity, 2L * _buffer.Length)));
            var grown = ArrayPool<byte>.Shared.Rent(capacity);
            _buffer.AsSpan(0, _count).CopyTo(grown);
            ReturnBuffer();
            _buffer = grown;
        }

        return _buffer.AsMemory(_count, Math.Min(_buffer.Length, _maxBytes) - _count);
    }

    /// <summary>
    /// Takes <paramref name="received"/> bytes written into the last <see cref="GetMemory"/> and
    /// judges the hello: null while more bytes are needed, else how the peek ends.
    /// </summary>
    public SniPeekStatus? Advance(int received)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(received);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)_count + received, Math.Min(_buffer.Length, _maxBytes), nameof(received));
        Volatile.Write(ref _count, _count + received);

        var result = ClientHelloReader.TryRead(new ReadOnlySequence<byte>(_buffer, 0, _count), ref _progress, out var serverName, _maxBytes);
        switch (result)
        {
            case ClientHelloResult.Sni:
                ServerName = serverName;
                return SniPeekStatus.Sni;
            case ClientHelloResult.NoSni:
                return SniPeekStatus.NoSni;
            case ClientHelloResult.NotTls:
                return SniPeekStatus.NotTls;
            case ClientHelloResult.Malformed:
                return SniPeekStatus.Malformed;
            case ClientHelloResult.TooLarge:
                return SniPeekStatus.TooLarge;
            default:
                // The reader judges a length that cannot fit from its header; this covers records that
                // keep coming once the limit is full.
                return _count >= _maxBytes ? SniPeekStatus.TooLarge : null;
        }
    }

    /// <summary>
    /// Takes bytes the client sent before the hello was looked for (on an <c>accept_proxy</c> listener,
    /// those that came with the PROXY header, at most a hundred or so) as if they had been received,
    /// all of them (bytes after a complete hello are the client's too, and are replayed with it), and
    /// judges them: null while more bytes are needed, else how the peek ends.
    /// </summary>
    public SniPeekStatus? Append(ReadOnlySpan<byte> received)
    {
        if (received.IsEmpty)
        {
            return null;
        }

        var memory = GetMemory(received.Length);
        if (memory.Length < received.Length)
        {
            return SniPeekStatus.TooLarge; // more than a hello may take, before it was even looked for
        }

        received.CopyTo(memory.Span);
        return Advance(received.Length);
    }

    public void Dispose()
    {
        ReturnBuffer();
        _buffer = [];
    }

    private void ReturnBuffer()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
    }
}
