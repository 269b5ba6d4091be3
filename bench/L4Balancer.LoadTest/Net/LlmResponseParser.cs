using System.Buffers.Text;
using System.Text;

namespace L4Balancer.LoadTest.Net;

/// <summary>
/// Reads one <c>serve --kind llm</c> response as it streams in (see <see cref="LlmWire"/>): the
/// head (status 200, chunked, <c>X-Tokens</c>, <c>X-Served-By</c>), then one chunk per token, then
/// the last chunk. Synchronous and incremental: a chunk may arrive split anywhere, or many in one
/// receive. Chunk data is counted and skipped, never copied.
/// </summary>
internal sealed class LlmResponseParser
{
    private const int MaxHeadBytes = 8 * 1024;
    private const int MaxSizeLineBytes = 64;

    private readonly byte[] _line = new byte[MaxHeadBytes];
    private int _lineFill;
    private State _state = State.Head;
    private long _dataLeft;
    private int _crlfLeft;

    private enum State
    {
        Head,
        SizeLine,
        Data,
        DataEnd,
        Trailer,
        Done,
        Failed,
    }

    public int Status { get; private set; }

    /// <summary>Tokens the head announced (<c>X-Tokens</c>); −1 before the head or without one.</summary>
    public int AnnouncedTokens { get; private set; } = -1;

    /// <summary>The instance that answered (<c>X-Served-By</c>), or null.</summary>
    public string? ServedBy { get; private set; }

    /// <summary>Token chunks received whole.</summary>
    public int Tokens { get; private set; }

    public bool IsDone => _state == State.Done;

    public string? Error { get; private set; }

    /// <summary>Consumes <paramref name="data"/>; false once the response cannot be valid (<see cref="Error"/> says why). Bytes after the last chunk are an error.</summary>
    public bool Feed(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            switch (_state)
            {
                case State.Head:
                    data = FeedHead(data);
                    break;
                case State.SizeLine:
                    data = FeedSizeLine(data);
                    break;
                case State.Data:
                    var skip = (int)Math.Min(_dataLeft, data.Length);
                    _dataLeft -= skip;
                    data = data[skip..];
                    if (_dataLeft == 0)
                    {
                        _state = State.DataEnd;
                        _crlfLeft = 2;
                    }

                    break;
                case State.DataEnd:
                case State.Trailer:
                    if (data[0] != (_crlfLeft == 2 ? (byte)'\r' : (byte)'\n'))
                    {
                        return Fail(_state == State.DataEnd ? "a chunk's data is not followed by CRLF" : "trailers after the last chunk");
                    }

                    data = data[1..];
                    if (--_crlfLeft == 0)
                    {
                        if (_state == State.DataEnd)
                        {
                            Tokens++;
                            _state = State.SizeLine;
                        }
                        else
                        {
                            _state = State.Done;
                        }
                    }

                    break;
                case State.Done:
                    return Fail("bytes after the last chunk");
                default:
                    return false;
            }

            if (_state == State.Failed)
            {
                return false;
            }
        }

        return true;
    }

    private ReadOnlySpan<byte> FeedHead(ReadOnlySpan<byte> data)
    {
        var take = Math.Min(data.Length, MaxHeadBytes - _lineFill);
        data[..take].CopyTo(_line.AsSpan(_lineFill));
        var searchFrom = Math.Max(0, _lineFill - 3);
        _lineFill += take;
        var end = _line.AsSpan(searchFrom, _lineFill - searchFrom).IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            if (_lineFill == MaxHeadBytes)
            {
                Fail("response head over 8 KiB");
            }

            return [];
        }

        end += searchFrom;
        var consumed = end + 4 - (_lineFill - take);
        if (!ParseHead(_line.AsSpan(0, end)))
        {
            return [];
        }

        _lineFill = 0;
        _state = State.SizeLine;
        return data[consumed..];
    }

    private bool ParseHead(ReadOnlySpan<byte> head)
    {
        var lineEnd = head.IndexOf("\r\n"u8);
        var statusLine = lineEnd < 0 ? head : head[..lineEnd];
        if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1."u8) || !Utf8Parser.TryParse(statusLine.Slice(9, 3), out int status, out _))
        {
            return Fail("not an HTTP/1.x status line");
        }

        Status = status;
        var chunked = false;
        var rest = lineEnd < 0 ? [] : head[(lineEnd + 2)..];
        while (!rest.IsEmpty)
        {
            if (!HttpHeaderLines.TryTake(ref rest, out var name, out var raw))
            {
                return Fail("a header line without a colon");
            }

            var value = raw.Trim((byte)' ');
            if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
            {
                chunked = Ascii.EqualsIgnoreCase(value, "chunked"u8);
            }
            else if (Ascii.EqualsIgnoreCase(name, "x-tokens"u8) && Utf8Parser.TryParse(value, out int tokens, out var used) && used == value.Length)
            {
                AnnouncedTokens = tokens;
            }
            else if (Ascii.EqualsIgnoreCase(name, "x-served-by"u8))
            {
                ServedBy = Encoding.ASCII.GetString(value);
            }
        }

        if (status != 200)
        {
            return Fail($"status {status}");
        }

        return chunked || Fail("a 200 response that is not chunked");
    }

    private ReadOnlySpan<byte> FeedSizeLine(ReadOnlySpan<byte> data)
    {
        var newline = data.IndexOf((byte)'\n');
        var take = newline < 0 ? data.Length : newline + 1;
        if (_lineFill + take > MaxSizeLineBytes)
        {
            Fail("a chunk size line over 64 bytes");
            return [];
        }

        data[..take].CopyTo(_line.AsSpan(_lineFill));
        _lineFill += take;
        if (newline < 0)
        {
            return [];
        }

        var line = _line.AsSpan(0, _lineFill);
        _lineFill = 0;
        if (line.Length < 3 || line[^2] != (byte)'\r')
        {
            Fail("a chunk size line not ended by CRLF");
            return [];
        }

        var digits = line[..^2];
        var extension = digits.IndexOf((byte)';');
        if (extension >= 0)
        {
            digits = digits[..extension];
        }

        if (!Utf8Parser.TryParse(digits, out long size, out var used, 'x') || used != digits.Length || size < 0)
        {
            Fail("a chunk size that is not hexadecimal");
            return [];
        }

        if (size == 0)
        {
            _state = State.Trailer;
            _crlfLeft = 2;
        }
        else
        {
            _dataLeft = size;
            _state = State.Data;
        }

        return data[take..];
    }

    private bool Fail(string error)
    {
        Error ??= error;
        _state = State.Failed;
        return false;
    }
}
