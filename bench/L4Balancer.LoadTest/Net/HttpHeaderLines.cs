namespace L4Balancer.LoadTest.Net;

/// <summary>
/// Walks the header lines of an HTTP/1.x head (after its first line), one CRLF-terminated line at a time,
/// for the three heads the load test reads: responses (<see cref="HttpResponseHead"/>, <see cref="LlmResponseParser"/>)
/// and the simulator's requests. The value is returned as written after the colon; each caller trims it as it
/// always has.
/// </summary>
internal static class HttpHeaderLines
{
    /// <summary>
    /// Takes the next line off <paramref name="rest"/> (the last one may lack its CRLF); false when that
    /// line has no colon, or nothing before it.
    /// </summary>
    public static bool TryTake(ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        var end = rest.IndexOf("\r\n"u8);
        var line = end < 0 ? rest : rest[..end];
        rest = end < 0 ? [] : rest[(end + 2)..];
        var colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            name = value = default;
            return false;
        }

        name = line[..colon];
        value = line[(colon + 1)..];
        return true;
    }
}
