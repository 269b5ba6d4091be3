using System.Globalization;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace L4Balancer.LoadTest.Net;

/// <summary>
/// Reads responses off one connection into one pre-allocated buffer: HTTP/1.x framed by
/// Content-Length (keep-alive), or exactly <c>fixedBytes</c> per response. Bytes past the end of a
/// response stay in the buffer for the next one. Bodies are counted and dropped, never copied out.
/// The async methods use the pooling builder, so a read that has to wait does not allocate.
/// </summary>
internal sealed class ResponseReader(int bufferSize, int fixedBytes)
{
    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(bufferSize);
    private int _start;
    private int _end;

    /// <summary>Why the last read was not <see cref="ReadOutcome.Ok"/>; only set on failure.</summary>
    public string? LastError { get; private set; }

    /// <summary>The last response said <c>Connection: close</c> (or was HTTP/1.0): reconnect before the next request.</summary>
    public bool CloseRequested { get; private set; }

    public int LastStatus { get; private set; }

    public void Reset()
    {
        _start = _end = 0;
        CloseRequested = false;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReadOutcome> ReadResponseAsync(Socket socket, CancellationToken cancellationToken)
    {
        if (fixedBytes > 0)
        {
            return await SkipAsync(socket, fixedBytes, cancellationToken).ConfigureAwait(false) ? ReadOutcome.Ok : Fail(ReadOutcome.Eof, "closed inside a fixed-size response");
        }

        while (true)
        {
            int headLength;
            while ((headLength = FindHeadEnd()) < 0)
            {
                if (!MakeRoom())
                {
                    return Fail(ReadOutcome.Protocol, $"response head larger than the {_buffer.Length}-byte buffer");
                }

                var received = await socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (received == 0)
                {
                    return Fail(ReadOutcome.Eof, _end == _start ? "closed before the response" : "closed inside the response head");
                }

                _end += received;
            }

            if (!HttpResponseHead.TryParse(_buffer.AsSpan(_start, headLength), out var head))
            {
                return Fail(ReadOutcome.Protocol, "not an HTTP/1.x response head: " + Printable(_buffer.AsSpan(_start, Math.Min(headLength, 60))));
            }

            _start += headLength + 4;
            if (head.Status < 200)
            {
                continue;
            }

            long body;
            if (head.Chunked)
            {
                return Fail(ReadOutcome.Protocol, "chunked responses are not supported: use a server that sends Content-Length, or --response-bytes");
            }
            else if (head.ContentLength >= 0)
            {
                body = head.ContentLength;
            }
            else if (head.Status is 204 or 304)
            {
                body = 0;
            }
            else
            {
                return Fail(ReadOutcome.Protocol, "response without Content-Length: its end is the close, which keep-alive cannot use");
            }

            if (!await SkipAsync(socket, body, cancellationToken).ConfigureAwait(false))
            {
                return Fail(ReadOutcome.Eof, "closed inside the response body");
            }

            CloseRequested = head.Close;
            LastStatus = head.Status;
            return head.Status < 400 ? ReadOutcome.Ok : Fail(ReadOutcome.Status, $"status {head.Status}");
        }
    }

    /// <summary>
    /// A response on a connection the server closes (churn): HTTP reads to EOF and checks the head and
    /// Content-Length; fixed-size mode reads exactly that many bytes and does not wait for EOF.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReadOutcome> ReadToEndAsync(Socket socket, CancellationToken cancellationToken)
    {
        Reset();
        if (fixedBytes > 0)
        {
            return await SkipAsync(socket, fixedBytes, cancellationToken).ConfigureAwait(false) ? ReadOutcome.Ok : Fail(ReadOutcome.Eof, "closed inside a fixed-size response");
        }

        HttpResponseHead head = default;
        var haveHead = false;
        long bodyBytes = 0;
        while (true)
        {
            if (!haveHead)
            {
                if (_end == _buffer.Length)
                {
                    return Fail(ReadOutcome.Protocol, $"response head larger than the {_buffer.Length}-byte buffer");
                }

                var received = await socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (received == 0)
                {
                    return Fail(ReadOutcome.Eof, _end == 0 ? "closed before the response" : "closed inside the response head");
                }

                _end += received;
                var headLength = FindHeadEnd();
                if (headLength < 0)
                {
                    continue;
                }

                if (!HttpResponseHead.TryParse(_buffer.AsSpan(0, headLength), out head))
                {
                    return Fail(ReadOutcome.Protocol, "not an HTTP/1.x response head: " + Printable(_buffer.AsSpan(0, Math.Min(headLength, 60))));
                }

                haveHead = true;
                bodyBytes = _end - (headLength + 4);
            }
            else
            {
                var received = await socket.ReceiveAsync(_buffer.AsMemory(), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (received == 0)
                {
                    break;
                }

                bodyBytes += received;
            }
        }

        if (head.ContentLength >= 0 && bodyBytes < head.ContentLength)
        {
            return Fail(ReadOutcome.Eof, $"closed after {bodyBytes} of {head.ContentLength} body bytes");
        }

        LastStatus = head.Status;
        return head.Status < 400 ? ReadOutcome.Ok : Fail(ReadOutcome.Status, $"status {head.Status}");
    }

    /// <summary>Drops <paramref name="count"/> bytes: first what is buffered, then straight off the socket.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> SkipAsync(Socket socket, long count, CancellationToken cancellationToken)
    {
        var take = (int)Math.Min(_end - _start, count);
        _start += take;
        var remaining = count - take;
        if (_start == _end)
        {
            _start = _end = 0;
        }

        while (remaining > 0)
        {
            var received = await socket.ReceiveAsync(_buffer.AsMemory(), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (received == 0)
            {
                return false;
            }

            if (received > remaining)
            {
                _start = (int)remaining;
                _end = received;
                remaining = 0;
            }
            else
            {
                remaining -= received;
            }
        }

        return true;
    }

    private int FindHeadEnd() => _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8);

    private bool MakeRoom()
    {
        if (_end < _buffer.Length)
        {
            return true;
        }

        if (_start == 0)
        {
            return false;
        }

        _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
        _end -= _start;
        _start = 0;
        return true;
    }

    private ReadOutcome Fail(ReadOutcome outcome, string why)
    {
        LastError = why;
        return outcome;
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length + 2).Append('"');
        foreach (var b in bytes)
        {
            if (b is >= 0x20 and < 0x7f)
            {
                text.Append((char)b);
            }
            else
            {
                text.Append(CultureInfo.InvariantCulture, $"\\x{b:x2}");
            }
        }

        return text.Append('"').ToString();
    }
}
