using System.Net;
using System.Net.Sockets;
using L4Balancer.LoadTest.Net;
using L4Balancer.LoadTest.Stats;
using L4Balancer.LoadTest.Timing;

namespace L4Balancer.LoadTest.Scenarios;

/// <summary>
/// One stream: connect, send the request, then read chunks (<see cref="StreamChunk"/>) until the
/// backend closes. One async receive loop per connection: with inline completions the parse runs on
/// the socket engine's thread, and a 2 KiB buffer per connection is all the state.
/// Every chunk read by one receive gets that receive's timestamp: they arrived together.
/// </summary>
internal sealed class StreamConnection(IPEndPoint target, byte[] request, RunClock clock, TimeSpan timeout, StreamTally tally)
{
    private readonly byte[] _header = new byte[StreamChunk.HeaderBytes];
    private int _headerFill;
    private int _bodyLeft;
    private long _sentNanoseconds;
    private int _nextSequence;
    private int _count = -1;
    private long _requestSent;

    /// <summary>Connects; <paramref name="connected"/> is released once the connect is over (the open concurrency bound).</summary>
    public async Task RunAsync(SemaphoreSlim connected)
    {
        Socket socket;
        try
        {
            socket = await SocketIo.ConnectAsync(target, timeout, clock.HardStop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            tally.Errors.Add(e is OperationCanceledException ? ErrorKind.Timeout : ErrorKind.Connect, SocketIo.Describe(e), measured: true);
            return;
        }
        finally
        {
            connected.Release();
        }

        Interlocked.Increment(ref tally.Opened);
        Interlocked.Increment(ref tally.Open);
        using (socket)
        using (clock.HardStop.Register(static s => ((Socket)s!).Dispose(), socket))
        {
            try
            {
                await ReadStreamAsync(socket).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref tally.Open);
                if (_count > 0)
                {
                    Interlocked.Add(ref tally.ChunksExpected, _count);
                }
            }
        }
    }

    private async Task ReadStreamAsync(Socket socket)
    {
        try
        {
            _requestSent = Clock.Now;
            await SocketIo.SendAllAsync(socket, request, clock.HardStop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            tally.Errors.Add(ErrorKind.Send, SocketIo.Describe(e), measured: true);
            return;
        }

        var buffer = new byte[2048];
        try
        {
            while (true)
            {
                // The Memory overload: its ValueTask comes from the socket's cached event args. A bare
                // byte[] binds to the ArraySegment overload, a new Task per receive (73 B a chunk).
                var received = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, CancellationToken.None).ConfigureAwait(false);
                var now = Clock.Now;
                if (received == 0)
                {
                    End("closed");
                    return;
                }

                if (!Parse(buffer.AsSpan(0, received), now))
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            if (clock.HardStop.IsCancellationRequested)
            {
                Interlocked.Increment(ref tally.Unfinished);
                tally.Errors.Add(ErrorKind.Timeout, $"stream not done by the hard deadline ({_nextSequence} of {_count} chunks)", measured: true);
            }
            else
            {
                Interlocked.Increment(ref tally.Short);
                tally.Errors.Add(ErrorKind.Receive, $"{SocketIo.Describe(e)} after {_nextSequence} of {_count} chunks", measured: true);
            }
        }
    }

    /// <summary>The backend closed: complete if every announced chunk came, whole.</summary>
    private void End(string how)
    {
        if (_count > 0 && _nextSequence == _count && _headerFill == 0 && _bodyLeft == 0)
        {
            Interlocked.Increment(ref tally.Complete);
            return;
        }

        Interlocked.Increment(ref tally.Short);
        tally.Errors.Add(ErrorKind.Eof, $"{how} after {_nextSequence} of {(_count > 0 ? _count : "?")} chunks", measured: true);
    }

    /// <summary>Walks the received bytes chunk by chunk; false on bytes that are not the next chunk.</summary>
    private bool Parse(ReadOnlySpan<byte> data, long now)
    {
        while (!data.IsEmpty)
        {
            if (_bodyLeft > 0)
            {
                var skip = Math.Min(_bodyLeft, data.Length);
                _bodyLeft -= skip;
                data = data[skip..];
                if (_bodyLeft == 0)
                {
                    ChunkDone(now);
                }

                continue;
            }

            var take = Math.Min(StreamChunk.HeaderBytes - _headerFill, data.Length);
            data[..take].CopyTo(_header.AsSpan(_headerFill));
            _headerFill += take;
            data = data[take..];
            if (_headerFill < StreamChunk.HeaderBytes)
            {
                continue;
            }

            _headerFill = 0;
            if (!StreamChunk.TryRead(_header, out var length, out var sequence, out var count, out _sentNanoseconds)
                || sequence != _nextSequence || (_count > 0 && count != _count))
            {
                Interlocked.Increment(ref tally.Short);
                tally.Errors.Add(ErrorKind.Protocol, $"chunk {_nextSequence}: not the chunk expected (sequence {sequence}, count {count}, length {length})", measured: true);
                return false;
            }

            _count = count;
            _bodyLeft = length - StreamChunk.HeaderBytes;
            if (_bodyLeft == 0)
            {
                ChunkDone(now);
            }
        }

        return true;
    }

    private void ChunkDone(long now)
    {
        if (_nextSequence == 0)
        {
            Histograms.Record(tally.FirstChunk, Clock.Microseconds(now - _requestSent));
        }

        _nextSequence++;
        Interlocked.Increment(ref tally.Chunks);
        if (clock.InWindow(now))
        {
            // Nanoseconds → µs; a negative delay cannot happen on one clock, and is clamped to 0 if it does.
            var delay = (StreamChunk.ToNanoseconds(now) - _sentNanoseconds) / 1000;
            Histograms.Record(tally.ChunkDelay, delay);
            tally.Live.Record(delay);
        }
    }
}
