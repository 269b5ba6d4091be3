namespace L4Balancer.Core.Tls;

/// <summary>
/// Forward-only reader over a contiguous TLS structure. Every read reports a short buffer as
/// <c>false</c> instead of throwing, so a lying length field becomes a verdict, not an exception.
/// </summary>
internal ref struct TlsReader
{
    private ReadOnlySpan<byte> _remaining;

    public TlsReader(ReadOnlySpan<byte> data) => _remaining = data;

    public readonly bool IsEmpty => _remaining.IsEmpty;

    public bool TrySkip(int count)
    {
        if ((uint)count > (uint)_remaining.Length)
        {
            return false;
        }

        _remaining = _remaining[count..];
        return true;
    }

    public bool TryReadUInt8(out byte value)
    {
        if (_remaining.IsEmpty)
        {
            value = 0;
            return false;
        }

        value = _remaining[0];
        _remaining = _remaining[1..];
        return true;
    }

    public bool TryReadUInt16(out ushort value)
    {
        if (_remaining.Length < 2)
        {
            value = 0;
            return false;
        }

        value = (ushort)((_remaining[0] << 8) | _remaining[1]);
        _remaining = _remaining[2..];
        return true;
    }

    /// <summary>Reads an <c>opaque x&lt;0..2^8-1&gt;</c>: a one-byte length, then that many bytes.</summary>
    public bool TryReadVector8(out ReadOnlySpan<byte> value)
    {
        value = default;
        return TryReadUInt8(out var length) && TryTake(length, out value);
    }

    /// <summary>Reads an <c>opaque x&lt;0..2^16-1&gt;</c>: a two-byte length, then that many bytes.</summary>
    public bool TryReadVector16(out ReadOnlySpan<byte> value)
    {
        value = default;
        return TryReadUInt16(out var length) && TryTake(length, out value);
    }

    private bool TryTake(int count, out ReadOnlySpan<byte> value)
    {
        if (count > _remaining.Length)
        {
            value = default;
            return false;
        }

        value = _remaining[..count];
        _remaining = _remaining[count..];
        return true;
    }
}
