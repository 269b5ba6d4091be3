using System.Buffers;
using L4Balancer.Core.Limits;

namespace L4Balancer.Core.Transport.Epoll;

/// <summary>
/// Moves bytes both ways between two connected non-blocking sockets: small reads through a pooled
/// buffer, bulk with <c>splice(2)</c> socket → pipe → socket, never through user space (Envoy's
/// <c>SplicePump</c>, HAProxy's kernel splicing and its splice-auto rule). Everything
/// runs on one <see cref="EpollLoop"/> thread, driven by edge-triggered events, so there is no lock and no
/// task per read. Behaves as the sockets transport's relay does: a FIN is passed on as a FIN once the pipe
/// is drained (half-close, the other direction keeps flowing), a reset or a failed send is reported to the
/// <see cref="IRelayOwner"/> (whose abort closes both sides with RST), a full pipe stops reading from the
/// source until the sink takes bytes (memory per direction bounded by the pipe's or buffer's capacity),
/// and an empty pipe or buffer goes back to its pool, so an idle connection holds neither.
/// </summary>
internal sealed unsafe class SplicePump
{
    private const uint SpliceFlags = LinuxNative.SpliceMove | LinuxNative.SpliceNonblock;
    /// <summary>What both sockets are watched for while relaying (edge-triggered, both ways).</summary>
    public const EpollEvents Interest = EpollEvents.In | EpollEvents.Out | EpollEvents.ReadHangup | EpollEvents.EdgeTriggered;

    /// <summary>The copy buffer of a direction that has only seen small reads (HAProxy's bufsize is 16 KiB too).</summary>
    private const int CopyBufferSize = 16 * 1024;

    private readonly EpollLoop _loop;
    private readonly PipePool _pipes;
    private readonly IRelayOwner _owner;
    private readonly SpliceLeg _client;
    private readonly SpliceLeg _backend;
    private readonly SpliceDirection _toBackend;
    private readonly SpliceDirection _toClient;
    private readonly TaskCompletionSource _completion = new();
    private IDisposable? _preludeOwner;
    private bool _closed;

    public SplicePump(EpollLoop loop, PipePool pipes, IRelayOwner owner, int clientFd, int backendFd)
    {
        _loop = loop;
        _pipes = pipes;
        _owner = owner;
        _client = new SpliceLeg(this, RelaySide.Client, clientFd);
        _backend = new SpliceLeg(this, RelaySide.Backend, backendFd);
        _toBackend = new SpliceDirection(_client, _backend);
        _toClient = new SpliceDirection(_backend, _client);
    }

    /// <summary>Completes once both directions are finished (the pump then closes both sockets), or the pump was closed.</summary>
    public Task Completion => _completion.Task;

    public long BytesFromClient => Volatile.Read(ref _toBackend.Bytes);

    public long BytesFromBackend => Volatile.Read(ref _toClient.Bytes);

    /// <summary>
    /// Takes over registrations made with <see cref="Interest"/> by the sockets' previous handler, so the
    /// relay starts without a system call. That handler saw the events so far: what they said about the
    /// peers' ends (a FIN that came early raises no second event) is passed on. Loop thread only, before
    /// <see cref="Start"/>.
    /// </summary>
    public void Adopt(long clientToken, EpollEvents clientSeen, long backendToken, EpollEvents backendSeen)
    {
        foreach (var (leg, token, seen) in (ReadOnlySpan<(SpliceLeg, long, EpollEvents)>)[(_client, clientToken, clientSeen), (_backend, backendToken, backendSeen)])
        {
            _loop.Rebind(token, leg);
            leg.Token = token;
            NoteEnds(leg, seen);
        }
    }

    /// <summary>Registers both sockets (unless adopted) and starts moving bytes; <paramref name="clientPrelude"/> goes to the backend first. Loop thread only.</summary>
    /// <param name="preludeOwner">Disposed as soon as the prelude has gone out (a ClientHello's pooled buffer is not held for the connection's life), or at close.</param>
    public void Start(ReadOnlyMemory<byte> clientPrelude, BandwidthThrottle? toBackend = null, BandwidthThrottle? toClient = null, IDisposable? preludeOwner = null)
    {
        _toBackend.Prelude = clientPrelude;
        _preludeOwner = preludeOwner;
        _toBackend.Throttle = toBackend;
        _toClient.Throttle = toClient;
        foreach (var leg in (ReadOnlySpan<SpliceLeg>)[_client, _backend])
        {
            if (leg.Token >= 0)
            {
                continue; // adopted
            }

            var token = _loop.Register(leg.Fd, Interest, leg);
            if (token < 0)
            {
                Fail(leg.Side);
                return;
            }

            leg.Token = token;
        }

        // Edge-triggered: bytes that arrived before the registration raise no event. Try both ways once;
        // EAGAIN then clears the optimistic flags.
        _client.Readable = _client.Writable = _backend.Readable = _backend.Writable = true;
        Pump();
    }

    /// <summary>
    /// Unregisters and closes both sockets: with <paramref name="reset"/> abortively (RST), else with a FIN
    /// (a shutdown first, unless the FIN was passed on already: then the close alone ends it). Returns the pipes. Loop thread only; once.
    /// </summary>
    public void Close(bool reset)
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        foreach (var timer in (ReadOnlySpan<LoopTimer?>)[_toBackend.Resume, _toClient.Resume])
        {
            if (timer is not null)
            {
                _loop.Cancel(timer);
            }
        }

        foreach (var leg in (ReadOnlySpan<SpliceLeg>)[_client, _backend])
        {
            if (leg.Token >= 0)
            {
                _loop.Forget(leg.Token); // the close below removes it from epoll
            }

            LinuxNative.CloseSocket(leg.Fd, reset, finSent: leg.SendShutDown);
        }

        ReturnPipe(_toBackend, force: true);
        ReturnPipe(_toClient, force: true);
        DropBuffer(_toBackend);
        DropBuffer(_toClient);
        ReleasePrelude();
        _completion.TrySetResult();
    }

    /// <summary>
    /// The connection was closed before this pump started, sockets included: nothing to register or
    /// close; the prelude's owner is disposed and the completion set. Loop thread only.
    /// </summary>
    public void Abandon(IDisposable? preludeOwner)
    {
        _closed = true;
        preludeOwner?.Dispose();
        _completion.TrySetResult();
    }

    internal void OnLegEvents(SpliceLeg leg, EpollEvents events)
    {
        if (_closed || (_toBackend.Finished && _toClient.Finished))
        {
            // Both ways are done: a reset now (a peer answering a late TLS close_notify with RST) changes
            // nothing, as on the sockets transport, whose loops have ended by then.
            return;
        }

        // An error is not acted on here: the next splice on the leg reports it (ECONNRESET, EPIPE) if
        // the leg is still read or written, and a leg that is done with both ways is left to close.
        if ((events & (EpollEvents.In | EpollEvents.ReadHangup | EpollEvents.Hangup | EpollEvents.Error)) != 0)
        {
            leg.Readable = true;
        }

        NoteEnds(leg, events);

        if ((events & (EpollEvents.Out | EpollEvents.Hangup | EpollEvents.Error)) != 0)
        {
            leg.Writable = true;
        }

        Pump();
    }

    private static void NoteEnds(SpliceLeg leg, EpollEvents events)
    {
        if ((events & (EpollEvents.ReadHangup | EpollEvents.Hangup | EpollEvents.Error)) != 0)
        {
            leg.PeerClosing = true;
        }

        if ((events & (EpollEvents.Hangup | EpollEvents.Error)) != 0)
        {
            leg.HangupSeen = true;
        }
    }

    private void Pump()
    {
        if (_closed)
        {
            return;
        }

        // Each direction until it can go no further; a direction's progress can unblock the other
        // only through new events, so one pass each is enough.
        if (!Move(_toBackend) || !Move(_toClient))
        {
            return;
        }

        if (_toBackend.Finished && _toClient.Finished)
        {
            Close(reset: false); // both FINs passed on: nothing more can move (and the last FIN goes with the close)
        }
    }

    /// <returns>False when the pump failed (and the owner was told).</returns>
    private bool Move(SpliceDirection d)
    {
        while (!d.Finished && !_closed)
        {
            var progress = false;
            if (!d.Prelude.IsEmpty)
            {
                if (!d.Sink.Writable)
                {
                    return true;
                }

                var sent = SendPrelude(d);
                if (sent < 0)
                {
                    return false;
                }

                if (!d.Prelude.IsEmpty)
                {
                    return true;
                }

                ReleasePrelude();
                progress = true;
            }

            if (!d.SourceEnded && d.Source.Readable)
            {
                // HAProxy's splice-auto rule: small messages go through a pooled buffer (recv + send
                // costs less than pipe + splice + splice); once a read fills the buffer the direction
                // carries bulk and switches to splice for good. Splicing starts only once the buffer
                // is empty, so bytes keep their order.
                var read = d.Spliced && d.Buffer is null ? ReadIntoPipe(d) : d.Spliced ? Step.Blocked : ReadIntoBuffer(d);
                if (read == Step.Failed)
                {
                    return false;
                }

                progress |= read == Step.Progress;
            }

            if (d.Sink.Writable && Granted(d))
            {
                var write = d.Buffer is not null ? WriteFromBuffer(d) : d.Pipe is { Buffered: > 0 } ? WriteFromPipe(d) : Step.Blocked;
                if (write == Step.Failed)
                {
                    return false;
                }

                progress |= write == Step.Progress;
            }

            if (d.SourceEnded || !d.Source.Readable)
            {
                // Nothing more to read for now: an idle direction holds no pipe and no buffer.
                ReturnPipe(d, force: false);
                ReturnBuffer(d);
            }

            if (d.SourceEnded && d.Pipe is null && d.Buffer is null && d.Prelude.IsEmpty)
            {
                // Everything the source sent has gone on: pass its FIN on; the other direction keeps
                // flowing. When the other direction is done already, the pump closes both sockets next
                // (Pump), and that close sends this FIN: one shutdown call fewer per connection.
                d.Sink.SendShutDown = true;
                d.Finished = true;
                if (!(d == _toBackend ? _toClient : _toBackend).Finished)
                {
                    _ = LinuxNative.Shutdown(d.Sink.Fd, LinuxNative.ShutWrite);
                }

                return true;
            }

            if (!progress)
            {
                return true;
            }
        }

        return true;
    }

    private Step ReadIntoPipe(SpliceDirection d)
    {
        var pipe = d.Pipe ??= _pipes.Rent();
        if (pipe is null)
        {
            // No pipe to be had (the pool's cap, or out of descriptors): copy through the buffer
            // instead, as HAProxy does past maxpipes; a later read that fills it tries splice again.
            d.Spliced = false;
            return ReadIntoBuffer(d);
        }

        var room = pipe.Capacity - pipe.Buffered;
        if (room <= 0)
        {
            return Step.Blocked; // full: the sink must take bytes first (backpressure)
        }

        var n = LinuxNative.Splice(d.Source.Fd, null, pipe.WriteFd, null, room, SpliceFlags);
        if (n > 0)
        {
            pipe.Buffered += (int)n;
            Read(d, n);
            return Step.Progress;
        }

        return n == 0 ? Ended(d) : ReadFailed(d);
    }

    private Step ReadIntoBuffer(SpliceDirection d)
    {
        var buffer = d.Buffer ??= ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        var room = buffer.Length - d.BufferEnd;
        if (room <= 0)
        {
            return Step.Blocked;
        }

        nint n;
        fixed (byte* start = &buffer[d.BufferEnd])
        {
            n = LinuxNative.Recv(d.Source.Fd, start, room, LinuxNative.MsgDontWait);
        }

        if (n > 0)
        {
            d.BufferEnd += (int)n;
            Read(d, n);
            if (n == room)
            {
                d.Spliced = true; // a read filled the buffer: bulk from here on
            }

            ShortRead(d.Source, n, room);
            return Step.Progress;
        }

        return n == 0 ? Ended(d) : ReadFailed(d);
    }

    private Step WriteFromBuffer(SpliceDirection d)
    {
        var buffer = d.Buffer!;
        var length = Limit(d, d.BufferEnd - d.BufferStart);
        if (length == 0)
        {
            return Step.Blocked;
        }

        nint n;
        fixed (byte* start = &buffer[d.BufferStart])
        {
            n = LinuxNative.Send(d.Sink.Fd, start, length, LinuxNative.MsgNoSignal | LinuxNative.MsgDontWait);
        }

        if (n > 0)
        {
            Spend(d, n);
            ShortWrite(d.Sink, n, length);
            d.BufferStart += (int)n;
            if (d.BufferStart == d.BufferEnd)
            {
                d.BufferStart = d.BufferEnd = 0;
                if (d.Spliced)
                {
                    ReturnBuffer(d); // drained: the pipe takes over
                }
            }

            _owner.OnActivity();
            return Step.Progress;
        }

        return WriteFailed(d);
    }

    private Step WriteFromPipe(SpliceDirection d)
    {
        var pipe = d.Pipe!;
        var n = LinuxNative.Splice(pipe.ReadFd, null, d.Sink.Fd, null, Limit(d, pipe.Buffered), SpliceFlags);
        if (n > 0)
        {
            Spend(d, n);
            pipe.Buffered -= (int)n;
            _owner.OnActivity();
            return Step.Progress;
        }

        return WriteFailed(d);
    }

    /// <summary>
    /// Whether the direction may send now. With a bandwidth limit the token bucket sets the length of each
    /// send (a chunk of at most <see cref="BandwidthThrottle.ChunkSize"/>, reserved before it is sent) and a
    /// loop timer resumes the direction when the reserved bytes' time has come, as the sockets transport's
    /// send loop awaits it. Meanwhile the source stops being read once the pipe or buffer is full.
    /// </summary>
    private bool Granted(SpliceDirection d)
    {
        if (d.Throttle is not { } throttle || d.Allowance > 0)
        {
            return d.Resume is not { IsArmed: true };
        }

        var pending = d.Buffer is not null ? d.BufferEnd - d.BufferStart : d.Pipe?.Buffered ?? 0;
        if (pending == 0)
        {
            return false;
        }

        var chunk = Math.Min(pending, throttle.ChunkSize);
        var wait = throttle.Reserve(chunk);
        d.Allowance = chunk;
        if (wait <= TimeSpan.Zero)
        {
            return true;
        }

        d.Resume ??= new LoopTimer(static s => ((SplicePump)s!).Pump(), this);
        _loop.Arm(d.Resume, wait);
        return false;
    }

    private static int Limit(SpliceDirection d, int length) => d.Throttle is null ? length : Math.Min(length, d.Allowance);

    private static void Spend(SpliceDirection d, nint sent)
    {
        if (d.Throttle is not null)
        {
            d.Allowance -= (int)sent;
        }
    }

    /// <summary>
    /// A read that got less than it asked for emptied the socket's receive queue: the next arrival raises
    /// a new edge-triggered event, so the source counts as not readable without the extra call that would
    /// only return EAGAIN (nginx's and HAProxy's rule: one recv per message instead of two). Once the peer
    /// has sent FIN (RDHUP seen) the source is read until it returns 0, since no event would follow.
    /// Not for splice: a splice into a pipe also stops short when the pipe runs out of slots (one per
    /// socket buffer fragment), with bytes still queued, and no new event would come for those.
    /// </summary>
    private static void ShortRead(SpliceLeg source, nint n, int asked)
    {
        if (n < asked && !source.PeerClosing)
        {
            source.Readable = false;
        }
    }

    /// <summary>
    /// A non-blocking send that took less than offered filled the socket's send buffer (TCP copies until it
    /// is full), and EPOLLOUT says when there is room again: no extra send only to hear EAGAIN.
    /// </summary>
    private static void ShortWrite(SpliceLeg sink, nint n, int offered)
    {
        if (n < offered)
        {
            sink.Writable = false;
        }
    }

    private void Read(SpliceDirection d, nint n)
    {
        Interlocked.Add(ref d.Bytes, n);
        _owner.OnReceived(d.Source.Side);
    }

    private Step Ended(SpliceDirection d)
    {
        if (WasReset(d.Source))
        {
            Fail(d.Source.Side);
            return Step.Failed;
        }

        d.SourceEnded = true;
        return Step.Progress;
    }

    private Step ReadFailed(SpliceDirection d)
    {
        if (LinuxNative.Errno is LinuxNative.EAGAIN)
        {
            d.Source.Readable = false;
            return Step.Blocked;
        }

        Fail(d.Source.Side);
        return Step.Failed;
    }

    private Step WriteFailed(SpliceDirection d)
    {
        if (LinuxNative.Errno is LinuxNative.EAGAIN)
        {
            d.Sink.Writable = false;
            return Step.Blocked;
        }

        Fail(d.Sink.Side);
        return Step.Failed;
    }

    private static void ReturnBuffer(SpliceDirection d)
    {
        if (d.Buffer is { } buffer && d.BufferStart == d.BufferEnd)
        {
            d.Buffer = null;
            d.BufferStart = d.BufferEnd = 0;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>At close: the buffer goes back whatever it held (those bytes die with the connection).</summary>
    private static void DropBuffer(SpliceDirection d)
    {
        if (d.Buffer is { } buffer)
        {
            d.Buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private enum Step
    {
        Blocked,
        Progress,
        Failed,
    }

    /// <returns>Bytes sent, 0 when the sink is full, -1 when it failed.</returns>
    private int SendPrelude(SpliceDirection d)
    {
        using var pin = d.Prelude.Pin();
        var n = LinuxNative.Send(d.Sink.Fd, (byte*)pin.Pointer, d.Prelude.Length, LinuxNative.MsgNoSignal);
        if (n >= 0)
        {
            d.Prelude = d.Prelude[(int)n..];
            _owner.OnActivity();
            return (int)n;
        }

        if (LinuxNative.Errno is LinuxNative.EAGAIN)
        {
            d.Sink.Writable = false;
            return 0;
        }

        Fail(d.Sink.Side);
        return -1;
    }

    /// <summary>
    /// A read of 0 after a reset: the first call after an RST reports ECONNRESET, and if a send on the
    /// same socket made that call, the read sees a clean end. A reset socket is in TCP_CLOSE, a FIN leaves
    /// it in CLOSE_WAIT; CLOSE is also reached gracefully, but only after our own FIN (the same test as
    /// the sockets transport's <c>SocketPipe.WasReset</c>).
    /// </summary>
    /// <remarks>
    /// Asked only when it can be true, to save the call on every clean end: a reset raises EPOLLERR and
    /// EPOLLHUP (a FIN only EPOLLRDHUP), and after our own FIN a closed state is no reset. A reset whose
    /// event has not been read yet makes the read itself fail with ECONNRESET, unless the peer's FIN came
    /// first: then the end is passed on as a FIN, which is what the peer sent first.
    /// </remarks>
    private static bool WasReset(SpliceLeg leg)
    {
        if (leg.SendShutDown || !leg.HangupSeen)
        {
            return false;
        }

        var info = stackalloc byte[8];
        var length = 8;
        return LinuxNative.GetSockOpt(leg.Fd, TcpInfo.Level, TcpInfo.Option, info, &length) == 0
            && length >= 1 && info[0] == TcpInfo.StateClose;
    }

    private void ReturnPipe(SpliceDirection d, bool force)
    {
        if (d.Pipe is { } pipe && (force || pipe.Buffered == 0))
        {
            d.Pipe = null;
            _pipes.Return(pipe);
        }
    }

    private void ReleasePrelude()
    {
        var owner = _preludeOwner;
        _preludeOwner = null;
        owner?.Dispose();
    }

    private void Fail(RelaySide side)
    {
        if (_closed)
        {
            return;
        }

        // The owner decides how to close (a reset is passed on as a reset) and calls Close.
        _owner.OnPeerFailed(side);
        if (!_closed)
        {
            Close(reset: true);
        }
    }
}
