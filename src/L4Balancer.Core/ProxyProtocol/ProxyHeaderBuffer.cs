using System.Buffers;
using System.Buffers.Binary;

namespace L4Balancer.Core.ProxyProtocol;

/// <summary>
/// The PROXY header a trusted proxy sends first on an <c>accept_proxy</c> listener, as it arrives, and
/// the client bytes that came with it in the same read. No I/O here: the caller receives into
/// <see cref="GetMemory"/> and reports with <see cref="Advance"/>, as with the ClientHello's buffer.
/// </summary>
/// <remarks>
/// Each receive asks only for what the header can still need. The first asks for up to 107 bytes (the
/// longest v1 line, which also holds a v2 header with IPv4 or IPv6 addresses and a few TLVs), so the
/// common header takes one receive; after that a v2 header, whose first 16 bytes say its length, is read
/// to its last byte and no further, and a v1 line to at most its 107. Client bytes that came in the same
/// receive as the header are kept in <see cref="Rest"/> for the SNI peek and the backend (HAProxy peeks
/// with <c>MSG_PEEK</c> and then consumes the header; taking the bytes and keeping the rest does the same
/// without reading anything twice). The memory is rented on the first read and grows only for a v2
/// header that announces more than 128 bytes.
/// </remarks>
internal sealed class ProxyHeaderBuffer : IDisposable
{
    /// <summary>
    /// The most a v2 header may take, its 16 fixed bytes included: the addresses (216 bytes at most, for
    /// AF_UNIX) and 4 KiB of TLVs. The spec allows 64 KiB; what real senders add is tens of bytes (AWS
    /// NLB's VPC endpoint id, GCP's PSC connection id, a CRC32C), so a larger header is refused rather
    /// than buffered for a connection that has not said who it is.
    /// </summary>
    public const int MaxV2Length = ProxyHeaderWriter.V2FixedLength + 216 + 4096;

    private const int InitialCapacity = 128;

    private byte[] _buffer = [];
    private int _count;
    private int _restLength;

    /// <summary>Bytes received so far, the header's and any after it.</summary>
    public int Count => _count;

    /// <summary>The header once <see cref="Advance"/> returned a complete one.</summary>
    public ProxyHeader? Header { get; private set; }

    /// <summary>The bytes that came after the header in the same reads: the client's first bytes.</summary>
    public ReadOnlyMemory<byte> Rest => Header is { } header ? _buffer.AsMemory(header.Length, _count - header.Length) : default;

    /// <summary>The length of <see cref="Rest"/>, still known after <see cref="Dispose"/> (for byte counts).</summary>
    public int RestLength => Volatile.Read(ref _restLength);

    /// <summary>Room for the next receive, no more than the header can still need; empty once it is complete.</summary>
    public Memory<byte> GetMemory()
    {
        var wanted = Header is null ? Wanted() : _count;
        if (wanted > _buffer.Length)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(wanted, InitialCapacity));
            _buffer.AsSpan(0, _count).CopyTo(grown);
            ReturnBuffer();
            _buffer = grown;
        }

        return _buffer.AsMemory(_count, wanted - _count);
    }

    /// <summary>
    /// Takes <paramref name="received"/> bytes written into the last <see cref="GetMemory"/>: the header,
    /// <see cref="ProxyHeaderStatus.Incomplete"/> while it needs more, or why the bytes are not one.
    /// </summary>
    public ProxyHeaderParseResult Advance(int received)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(received);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)_count + received, _buffer.Length, nameof(received));
        if (Header is not null)
        {
            throw new InvalidOperationException("the header is complete; the bytes after it are the client's");
        }

        _count += received;
        var data = _buffer.AsSpan(0, _count);
        var result = ProxyHeaderParser.Parse(data);
        if (result.Status == ProxyHeaderStatus.Incomplete && V2Length(data) is > MaxV2Length and var announced)
        {
            return ProxyHeaderParseResult.Fail(ProxyHeaderStatus.TooLarge, $"v2: the header announces {announced} bytes; at most {MaxV2Length} are accepted");
        }

        if (result.IsComplete)
        {
            Header = result.Header;
            Volatile.Write(ref _restLength, _count - result.Header!.Length);
        }

        return result;
    }

    public void Dispose()
    {
        ReturnBuffer();
        _buffer = [];
        _count = 0;
        Header = null;
    }

    /// <summary>The total the header can take as far as the bytes so far tell.</summary>
    private int Wanted()
    {
        var data = _buffer.AsSpan(0, _count);
        if (data.IsEmpty || data[0] != ProxyHeaderWriter.V2Signature[0])
        {
            return ProxyHeaderWriter.MaxV1Length; // a v1 line (or bytes the parser will refuse within them)
        }

        // v2: the fixed part first, then exactly the length it announces (refused above the cap before
        // this is asked again).
        return V2Length(data) is { } length ? Math.Min(length, MaxV2Length) : ProxyHeaderWriter.V2FixedLength;
    }

    /// <summary>The whole v2 header's length once its fixed part is in and its signature matches; else null.</summary>
    private static int? V2Length(ReadOnlySpan<byte> data) =>
        data.Length >= ProxyHeaderWriter.V2FixedLength && data.StartsWith(ProxyHeaderWriter.V2Signature)
            ? ProxyHeaderWriter.V2FixedLength + BinaryPrimitives.ReadUInt16BigEndian(data[14..])
            : null;

    private void ReturnBuffer()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
    }
}
