using System.Buffers.Text;
using System.Text;

namespace L4Balancer.LoadTest.Net;

/// <summary>
/// The parts of an HTTP/1.x response head that framing needs: status, Content-Length,
/// chunked or not, and whether the server will close. Span-based, no allocation.
/// </summary>
internal readonly struct HttpResponseHead
{
    public int Status { get; private init; }

    /// <summary>-1 when there is no Content-Length header.</summary>
    public long ContentLength { get; private init; }

    public bool Chunked { get; private init; }

    public bool Close { get; private init; }

    /// <summary>Parses <paramref name="head"/>: status line and header lines, without the final blank line.</summary>
    public static bool TryParse(ReadOnlySpan<byte> head, out HttpResponseHead result)
    {
        result = default;
        var lineEnd = head.IndexOf("\r\n"u8);
        var statusLine = lineEnd < 0 ? head : head[..lineEnd];

        // "HTTP/1.1 200 OK": version, space, three digits.
        if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1."u8) || statusLine[8] != (byte)' '
            || !Utf8Parser.TryParse(statusLine.Slice(9, 3), out int status, out var consumed) || consumed != 3)
        {
            return false;
        }

        long contentLength = -1;
        var chunked = false;
        var close = statusLine[7] == (byte)'0';
        var rest = lineEnd < 0 ? [] : head[(lineEnd + 2)..];
        while (!rest.IsEmpty)
        {
            if (!HttpHeaderLines.TryTake(ref rest, out var name, out var raw))
            {
                return false;
            }

            var value = raw.Trim((byte)' ').Trim((byte)'\t');
            if (Ascii.EqualsIgnoreCase(name, "content-length"u8))
            {
                if (!Utf8Parser.TryParse(value, out long length, out var used) || used != value.Length || length < 0)
                {
                    return false;
                }

                contentLength = length;
            }
            else if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
            {
                chunked = ContainsIgnoreCase(value, "chunked"u8);
            }
            else if (Ascii.EqualsIgnoreCase(name, "connection"u8))
            {
                if (ContainsIgnoreCase(value, "close"u8))
                {
                    close = true;
                }
                else if (ContainsIgnoreCase(value, "keep-alive"u8))
                {
                    close = false;
                }
            }
        }

        result = new HttpResponseHead { Status = status, ContentLength = contentLength, Chunked = chunked, Close = close };
        return true;
    }

    private static bool ContainsIgnoreCase(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        for (var i = 0; i + token.Length <= value.Length; i++)
        {
            if (Ascii.EqualsIgnoreCase(value.Slice(i, token.Length), token))
            {
                return true;
            }
        }

        return false;
    }
}
