using System.Buffers.Binary;
using System.Diagnostics;

namespace L4Balancer.LoadTest.Net;

/// <summary>
/// One chunk of the <c>stream</c> load, as the backend sends it and the client reads it. A 24-byte
/// header, then filler up to the chunk's length:
/// <code>
///   0  "L4SC"                      magic: a proxy that garbled or shifted the bytes is caught
///   4  int32 LE  chunk length      header included, so the client frames without being told the size
///   8  int32 LE  sequence number   0, 1, 2… within the stream
///  12  int32 LE  chunks in stream  so the client knows when the stream is complete
///  16  int64 LE  send time, ns     CLOCK_MONOTONIC, taken just before the send
/// </code>
/// The send time is <see cref="Stopwatch.GetTimestamp"/> in nanoseconds. On Linux that is
/// clock_gettime(CLOCK_MONOTONIC) with a frequency of 1e9: one clock for every process on the
/// machine, so a client process can subtract the backend's stamp from its own receive time.
/// Checked 2026-12-07: the value read by a .NET process lies between Python's
/// time.clock_gettime_ns(CLOCK_MONOTONIC) read just before and just after it.
/// </summary>
internal static class StreamChunk
{
    public const int HeaderBytes = 24;
    public const int MaxBytes = 64 * 1024;

    private const uint Magic = 0x4353344C; // "L4SC" read as a little-endian uint32

    /// <summary>The monotonic clock in nanoseconds (see the class comment for why it is shared).</summary>
    public static long NowNanoseconds() => ToNanoseconds(Stopwatch.GetTimestamp());

    public static long ToNanoseconds(long stopwatchTicks) =>
        Stopwatch.Frequency == 1_000_000_000 ? stopwatchTicks : (long)(stopwatchTicks * (1e9 / Stopwatch.Frequency));

    /// <summary>Fills <paramref name="chunk"/> (its whole length) with a header and filler.</summary>
    public static void Write(Span<byte> chunk, int sequence, int count, long sentNanoseconds)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(chunk, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(chunk[4..], chunk.Length);
        BinaryPrimitives.WriteInt32LittleEndian(chunk[8..], sequence);
        BinaryPrimitives.WriteInt32LittleEndian(chunk[12..], count);
        BinaryPrimitives.WriteInt64LittleEndian(chunk[16..], sentNanoseconds);
    }

    /// <summary>Fills the bytes after the header once; <see cref="Write"/> then only rewrites the header.</summary>
    public static void FillBody(Span<byte> chunk)
    {
        for (var i = HeaderBytes; i < chunk.Length; i++)
        {
            chunk[i] = (byte)('a' + i % 26);
        }
    }

    /// <summary>Reads a header; false if the magic or the length is wrong (not a chunk, or framing lost).</summary>
    public static bool TryRead(ReadOnlySpan<byte> header, out int length, out int sequence, out int count, out long sentNanoseconds)
    {
        length = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        sequence = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        count = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        sentNanoseconds = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
        return BinaryPrimitives.ReadUInt32LittleEndian(header) == Magic && length is >= HeaderBytes and <= MaxBytes && count > 0;
    }
}
