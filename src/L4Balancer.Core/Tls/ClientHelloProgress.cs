namespace L4Balancer.Core.Tls;

/// <summary>
/// How far the record-layer scan of a ClientHello got, carried from one
/// <see cref="ClientHelloReader"/> call to the next over a growing buffer that starts at the same byte.
/// </summary>
/// <remarks>
/// Without it every read re-walks every record from the start. A peer that sends the hello as
/// thousands of 1-byte records, one TCP segment each, would then cost O(records²) CPU per
/// connection (~11 000 records fit in 64 KiB); resuming keeps the whole peek linear.
/// </remarks>
internal struct ClientHelloProgress
{
    /// <summary>Offset of the first record header not yet scanned (every record before it is complete).</summary>
    public long RecordOffset { get; set; }

    /// <summary>Handshake bytes carried by the records before <see cref="RecordOffset"/>.</summary>
    public int HandshakeBytes { get; set; }

    /// <summary>The first up-to-four handshake bytes (type, uint24 length), big-endian, as far as they were seen.</summary>
    public uint HandshakeHeader { get; set; }
}
