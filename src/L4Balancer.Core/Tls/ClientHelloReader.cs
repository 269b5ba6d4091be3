using System.Buffers;
using System.Diagnostics;
using System.Text;

namespace L4Balancer.Core.Tls;

/// <summary>
/// Reads the SNI host name from the TLS ClientHello at the start of a connection. It only looks:
/// nothing is consumed, because the caller replays the very same bytes to the backend.
/// </summary>
/// <remarks>
/// <para>
/// The hello may arrive a byte at a time, span any number of <see cref="ReadOnlySequence{T}"/>
/// segments and be fragmented over several handshake records (post-quantum key shares push it past
/// one MTU; past 16 KiB it must span records). Call again with the longer buffer whenever
/// <see cref="ClientHelloResult.NeedMoreData"/> comes back.
/// </para>
/// <para>
/// Work happens in two passes. The record pass walks record headers until the handshake message is
/// complete; it judges the stream as early as the bytes allow (a first byte other than 0x16 is
/// <see cref="ClientHelloResult.NotTls"/> on its own) and can resume via
/// <see cref="ClientHelloProgress"/>. The message pass runs once, over the complete hello: in place
/// when it sits in one record of one segment (the usual case), otherwise over a copy with the record
/// headers removed, on the stack up to 1 KiB and in a pooled array beyond. Every length is checked
/// before it is used and every loop consumes input, so no input throws or loops forever.
/// </para>
/// <para>
/// Deliberately lenient where a TLS server would decide anyway: the legacy_version inside the hello,
/// the contents of extensions other than server_name, and any bytes that follow the hello in its
/// last record are not judged (none of them changes where the connection should go).
/// </para>
/// </remarks>
internal static class ClientHelloReader
{
    public const int DefaultMaxHelloBytes = 64 * 1024;

    /// <summary>The longest host name (RFC 1035 §2.3.4); a name buffer must hold at least this many bytes.</summary>
    public const int MaxHostNameLength = 255;

    private const byte HandshakeContentType = 0x16;
    private const byte ClientHelloHandshakeType = 0x01;
    private const int RecordHeaderLength = 5;
    private const int HandshakeHeaderLength = 4;

    // RFC 8446 §5.1: TLSPlaintext.length MUST NOT exceed 2^14; zero-length handshake fragments are
    // forbidden too, which also guarantees every record moves the scan forward.
    private const int MaxRecordPayload = 1 << 14;
    private const int MaxSessionIdLength = 32;
    private const int MaxLabelLength = 63;
    private const ushort ServerNameExtensionType = 0;
    private const byte HostNameType = 0;

    // Fragmented hellos in this size are common enough (DPI-evasion tools split them on purpose)
    // to keep off the pool; larger ones are rare and may be up to the limit.
    private const int StackCopyBytes = 1024;

    // Debug-build count of loop passes on this thread, so tests can assert that the work per call is
    // bounded by the input size (a deterministic stand-in for "never loops forever").
    [ThreadStatic]
    private static long _loopIterations;

    /// <summary>Loop passes made on this thread so far; always 0 in Release builds.</summary>
    internal static long LoopIterations => _loopIterations;

    /// <summary>
    /// Reads the hello in <paramref name="buffer"/>, resuming the record scan from <paramref name="progress"/>;
    /// allocates only the returned name.
    /// </summary>
    /// <param name="buffer">Everything received so far, from the connection's first byte.</param>
    /// <param name="serverName">The host name, lower-cased and without a trailing dot, when the result is <see cref="ClientHelloResult.Sni"/>.</param>
    /// <param name="maxHelloBytes">Bytes, record headers included, the hello may take on the wire.</param>
    /// <param name="progress">
    /// Start with <c>default</c> and pass the same variable with each longer buffer of the same
    /// connection; it is only valid while nothing before it has been consumed.
    /// </param>
    public static ClientHelloResult TryRead(in ReadOnlySequence<byte> buffer, ref ClientHelloProgress progress, out string? serverName, int maxHelloBytes = DefaultMaxHelloBytes)
    {
        Span<byte> name = stackalloc byte[MaxHostNameLength];
        var result = TryRead(buffer, ref progress, name, out var nameLength, maxHelloBytes);

        // The name is validated as ASCII letters, digits, '-', '_' and '.', so ASCII decoding is exact.
        serverName = result == ClientHelloResult.Sni ? Encoding.ASCII.GetString(name[..nameLength]) : null;
        return result;
    }

    /// <summary>As the form above, writing the name into <paramref name="nameBuffer"/>: allocates nothing.</summary>
    /// <param name="nameBuffer">At least <see cref="MaxHostNameLength"/> bytes.</param>
    /// <param name="nameLength">Bytes of <paramref name="nameBuffer"/> holding the name; 0 unless the result is <see cref="ClientHelloResult.Sni"/>.</param>
    public static ClientHelloResult TryRead(
        in ReadOnlySequence<byte> buffer,
        ref ClientHelloProgress progress,
        Span<byte> nameBuffer,
        out int nameLength,
        int maxHelloBytes = DefaultMaxHelloBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nameBuffer.Length, MaxHostNameLength, nameof(nameBuffer));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxHelloBytes);

        nameLength = 0;
        if (!TryScanRecords(buffer, ref progress, maxHelloBytes, out var messageLength, out var verdict))
        {
            return verdict;
        }

        return ReadMessage(buffer, messageLength, nameBuffer, out nameLength);
    }

    /// <summary>
    /// Walks record headers until the handshake message (4-byte header plus body) is all there.
    /// Returns true with its length, or false with a verdict (NeedMoreData included).
    /// </summary>
    private static bool TryScanRecords(
        in ReadOnlySequence<byte> buffer,
        ref ClientHelloProgress progress,
        int maxHelloBytes,
        out int messageLength,
        out ClientHelloResult verdict)
    {
        messageLength = 0;
        verdict = ClientHelloResult.NeedMoreData;

        var recordOffset = progress.RecordOffset;
        if ((ulong)recordOffset > (ulong)buffer.Length)
        {
            // Progress from a longer buffer than this one: nothing sound to say yet.
            return false;
        }

        var handshakeBytes = progress.HandshakeBytes;
        var handshakeHeader = progress.HandshakeHeader;
        var reader = new SequenceReader<byte>(buffer.Slice(recordOffset));

        // Every pass either returns or moves recordOffset on by at least 6 bytes, and the TooLarge
        // check stops it before recordOffset passes maxHelloBytes: at most maxHelloBytes / 6 passes.
        while (true)
        {
            CountIteration();

            // Only the first record decides whether this is TLS at all. After it, any other record
            // type is a broken hello: RFC 8446 §5.1 forbids interleaving records inside a fragmented
            // handshake message.
            var badHeader = recordOffset == 0 ? ClientHelloResult.NotTls : ClientHelloResult.Malformed;

            // Header fields are judged one byte at a time so that non-TLS is rejected on its first byte.
            if (!reader.TryRead(out var contentType))
            {
                return false;
            }

            if (contentType != HandshakeContentType)
            {
                verdict = badHeader;
                return false;
            }

            if (!reader.TryRead(out var versionMajor))
            {
                return false;
            }

            // Record versions 3.0 (SSL 3.0) through 3.4; TLS 1.3 clients send 3.1 (RFC 8446 §5.1).
            if (versionMajor != 3)
            {
                verdict = badHeader;
                return false;
            }

            if (!reader.TryRead(out var versionMinor))
            {
                return false;
            }

            if (versionMinor > 4)
            {
                verdict = badHeader;
                return false;
            }

            if (!reader.TryRead(out var lengthHigh) || !reader.TryRead(out var lengthLow))
            {
                return false;
            }

            var recordLength = (lengthHigh << 8) | lengthLow;
            if (recordLength is 0 or > MaxRecordPayload)
            {
                verdict = ClientHelloResult.Malformed;
                return false;
            }

            // The 4-byte handshake header can itself be split across records.
            var headerBytesHere = Math.Min(recordLength, Math.Max(0, HandshakeHeaderLength - handshakeBytes));
            for (var i = 0; i < headerBytesHere; i++)
            {
                CountIteration();
                if (!reader.TryRead(out var value))
                {
                    return false;
                }

                if (handshakeBytes + i == 0 && value != ClientHelloHandshakeType)
                {
                    verdict = ClientHelloResult.NotTls;
                    return false;
                }

                handshakeHeader = (handshakeHeader << 8) | value;
            }

            // Bytes of this record the hello still needs: all of it unless the hello ends inside it.
            var neededHere = recordLength;
            var lengthKnown = handshakeBytes + headerBytesHere >= HandshakeHeaderLength;
            if (lengthKnown)
            {
                messageLength = HandshakeHeaderLength + (int)(handshakeHeader & 0xFF_FFFF);
                if (messageLength > maxHelloBytes)
                {
                    verdict = ClientHelloResult.TooLarge;
                    return false;
                }

                neededHere = Math.Min(recordLength, messageLength - handshakeBytes);
                if (neededHere <= 0)
                {
                    // Only reachable with progress carried over from some other stream.
                    verdict = ClientHelloResult.Malformed;
                    return false;
                }
            }

            // Decided on the header alone: an oversized hello is refused before its bytes arrive.
            var end = recordOffset + RecordHeaderLength + neededHere;
            if (end > maxHelloBytes)
            {
                verdict = ClientHelloResult.TooLarge;
                return false;
            }

            if (buffer.Length < end)
            {
                return false;
            }

            handshakeBytes += neededHere;
            if (lengthKnown && handshakeBytes == messageLength)
            {
                return true;
            }

            // The hello goes on in the next record, so this one is entirely behind us (and present).
            reader.Advance(recordLength - headerBytesHere);
            recordOffset += RecordHeaderLength + recordLength;
            progress.RecordOffset = recordOffset;
            progress.HandshakeBytes = handshakeBytes;
            progress.HandshakeHeader = handshakeHeader;
        }
    }

    /// <summary>Parses the complete handshake message the record scan found.</summary>
    private static ClientHelloResult ReadMessage(in ReadOnlySequence<byte> buffer, int messageLength, Span<byte> nameBuffer, out int nameLength)
    {
        var first = buffer.FirstSpan;
        if (first.Length >= RecordHeaderLength + messageLength && ((first[3] << 8) | first[4]) >= messageLength)
        {
            return ReadClientHello(first.Slice(RecordHeaderLength + HandshakeHeaderLength, messageLength - HandshakeHeaderLength), nameBuffer, out nameLength);
        }

        byte[]? rented = null;
        var message = messageLength <= StackCopyBytes
            ? stackalloc byte[StackCopyBytes]
            : (rented = ArrayPool<byte>.Shared.Rent(messageLength));
        try
        {
            message = message[..messageLength];
            if (!TryCopyHandshakeBytes(buffer, message))
            {
                nameLength = 0;
                return ClientHelloResult.Malformed;
            }

            return ReadClientHello(message[HandshakeHeaderLength..], nameBuffer, out nameLength);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Concatenates record payloads into <paramref name="destination"/> until it is full.</summary>
    private static bool TryCopyHandshakeBytes(in ReadOnlySequence<byte> buffer, Span<byte> destination)
    {
        // The record scan has already validated these headers; the checks here only keep this
        // loop safe on its own (each pass copies at least one byte or returns).
        var reader = new SequenceReader<byte>(buffer);
        var written = 0;
        while (written < destination.Length)
        {
            CountIteration();
            if (reader.Remaining < RecordHeaderLength)
            {
                return false;
            }

            reader.Advance(3);
            reader.TryRead(out var lengthHigh);
            reader.TryRead(out var lengthLow);

            var take = Math.Min((lengthHigh << 8) | lengthLow, destination.Length - written);
            if (take == 0 || !reader.TryCopyTo(destination.Slice(written, take)))
            {
                return false;
            }

            reader.Advance(take);
            written += take;
        }

        return true;
    }

    /// <summary>
    /// Parses a ClientHello body (RFC 8446 §4.1.2; extensions per RFC 6066 §3). Every vector must
    /// fit its parent exactly; the extension block must end the message.
    /// </summary>
    private static ClientHelloResult ReadClientHello(ReadOnlySpan<byte> body, Span<byte> nameBuffer, out int nameLength)
    {
        nameLength = 0;
        var hello = new TlsReader(body);

        // legacy_version and random
        if (!hello.TrySkip(2 + 32))
        {
            return ClientHelloResult.Malformed;
        }

        if (!hello.TryReadVector8(out var sessionId) || sessionId.Length > MaxSessionIdLength)
        {
            return ClientHelloResult.Malformed;
        }

        // cipher_suites<2..2^16-2>: whole two-byte suites, at least one.
        if (!hello.TryReadVector16(out var cipherSuites) || cipherSuites.IsEmpty || (cipherSuites.Length & 1) != 0)
        {
            return ClientHelloResult.Malformed;
        }

        if (!hello.TryReadVector8(out var compressionMethods) || compressionMethods.IsEmpty)
        {
            return ClientHelloResult.Malformed;
        }

        // A hello from before extensions (RFC 5246 §7.4.1.2 still allows it) ends here.
        if (hello.IsEmpty)
        {
            return ClientHelloResult.NoSni;
        }

        if (!hello.TryReadVector16(out var extensionBlock) || !hello.IsEmpty)
        {
            return ClientHelloResult.Malformed;
        }

        var extensions = new TlsReader(extensionBlock);
        var result = ClientHelloResult.NoSni;
        var length = 0;
        var sawServerName = false;
        while (!extensions.IsEmpty)
        {
            CountIteration();
            if (!extensions.TryReadUInt16(out var type) || !extensions.TryReadVector16(out var data))
            {
                return ClientHelloResult.Malformed;
            }

            if (type != ServerNameExtensionType)
            {
                continue;
            }

            // RFC 8446 §4.2: at most one extension of a type. Two server_names would let the
            // balancer and the backend each pick a different one.
            if (sawServerName)
            {
                return ClientHelloResult.Malformed;
            }

            sawServerName = true;
            result = ReadServerNameList(data, nameBuffer, out length);
            if (result == ClientHelloResult.Malformed)
            {
                return result;
            }
        }

        // Only now, after the extensions behind server_name were walked too, is the name good.
        nameLength = length;
        return result;
    }

    private static ClientHelloResult ReadServerNameList(ReadOnlySpan<byte> extension, Span<byte> nameBuffer, out int nameLength)
    {
        nameLength = 0;

        // server_name_list<1..2^16-1> filling the extension exactly.
        var outer = new TlsReader(extension);
        if (!outer.TryReadVector16(out var list) || !outer.IsEmpty || list.IsEmpty)
        {
            return ClientHelloResult.Malformed;
        }

        var entries = new TlsReader(list);
        var result = ClientHelloResult.NoSni;
        var length = 0;
        while (!entries.IsEmpty)
        {
            CountIteration();
            // RFC 6066 §3: every name type, including future ones, is a uint16-length vector.
            if (!entries.TryReadUInt8(out var nameType) || !entries.TryReadVector16(out var name))
            {
                return ClientHelloResult.Malformed;
            }

            if (nameType != HostNameType)
            {
                continue;
            }

            // RFC 6066 §3: no more than one name of the same name_type.
            if (result == ClientHelloResult.Sni || !TryNormalizeHostName(name, nameBuffer, out length))
            {
                return ClientHelloResult.Malformed;
            }

            result = ClientHelloResult.Sni;
        }

        nameLength = length;
        return result;
    }

    /// <summary>
    /// Copies a host name lower-cased, without a trailing dot, into <paramref name="destination"/>.
    /// Accepts LDH labels plus '_' (seen in internal names), 1–63 bytes each, 255 bytes in all;
    /// anything else (empty labels, spaces, NULs, IPv6 literals, UTF-8) is refused, so the routing
    /// key and the access log only ever hold a plain ASCII name.
    /// </summary>
    private static bool TryNormalizeHostName(ReadOnlySpan<byte> name, Span<byte> destination, out int length)
    {
        length = 0;
        if (name.IsEmpty || name.Length > MaxHostNameLength)
        {
            return false;
        }

        // "example.com." is the same name (curl sent the dot for years); strip exactly one.
        if (name[^1] == (byte)'.')
        {
            name = name[..^1];
        }

        var labelLength = 0;
        for (var i = 0; i < name.Length; i++)
        {
            CountIteration();
            var c = name[i];
            if (c == (byte)'.')
            {
                if (labelLength == 0)
                {
                    return false;
                }

                labelLength = 0;
            }
            else
            {
                if (++labelLength > MaxLabelLength)
                {
                    return false;
                }

                if (c is >= (byte)'A' and <= (byte)'Z')
                {
                    c = (byte)(c | 0x20);
                }
                else if (c is not ((>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9') or (byte)'-' or (byte)'_'))
                {
                    return false;
                }
            }

            destination[i] = c;
        }

        // Catches "", "." and names ending in "..".
        if (labelLength == 0)
        {
            return false;
        }

        length = name.Length;
        return true;
    }

    [Conditional("DEBUG")]
    private static void CountIteration() => _loopIterations++;
}
