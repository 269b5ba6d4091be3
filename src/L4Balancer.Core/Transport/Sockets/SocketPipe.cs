using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using L4Balancer.Core.Limits;

namespace L4Balancer.Core.Transport.Sockets;

/// <summary>
/// One socket of a session and the pipe of bytes received from it. Two loops, as in Kestrel's
/// SocketConnection: <see cref="ReceiveAsync"/> moves socket → <see cref="Input"/>, and
/// <see cref="SendAsync"/> moves the other side's input → this socket. Errors come back to the
/// owner as calls, not exceptions, so the flow records one first-wins close reason.
/// </summary>
internal sealed class SocketPipe
{
    private readonly IRelayOwner _owner;
    private readonly Pipe _input;
    private readonly int _minimumReceive;
    private long _bytesReceived;
    private volatile bool _sendShutDown;

    public SocketPipe(Socket socket, RelaySide side, IRelayOwner owner, RelayOptions options)
    {
        Socket = socket;
        Side = side;
        _owner = owner;
        _input = new Pipe(options.PipeOptions);
        _minimumReceive = Math.Max(1, options.ReceiveBufferSize / 2);
    }

    public Socket Socket { get; }

    public RelaySide Side { get; }

    /// <summary>Bytes received from this socket, in order; the SNI peek reads here without consuming.</summary>
    public PipeReader Input => _input.Reader;

    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Socket → <see cref="Input"/> until EOF, a failure, or the reader of the input goes away.</summary>
    public async Task ReceiveAsync()
    {
        var writer = _input.Writer;
        var mayHaveMore = false;
        Exception? aborted = null;
        try
        {
            while (true)
            {
                if (!mayHaveMore)
                {
                    // Wait for data before renting a buffer, so an idle connection holds no memory
                    // (Kestrel's WaitForDataBeforeAllocatingBuffer). Skipped right after a receive that
                    // filled its buffer: more is almost certainly queued and the extra syscall is waste.
                    await Socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                }

                // Ask for half a segment (new segments are still ReceiveBufferSize): a receive that
                // finds that much room left in the current segment fills it instead of renting another.
                // Asking for a whole segment rented a fresh one per receive however few bytes came, so
                // while the SNI peek consumes nothing a hello trickled one byte per segment held 16 KiB
                // per byte (1000 bytes pinned 16 MB; see SniPeekMemoryTests), and the pause threshold,
                // which counts bytes, did not bound it. Kestrel asks for half its block size likewise.
                var memory = writer.GetMemory(_minimumReceive);
                var received = await Socket.ReceiveAsync(memory, SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    if (WasReset())
                    {
                        aborted = new RelayAbortedException();
                        _owner.OnPeerFailed(Side);
                        break;
                    }

                    break; // a FIN: the writer completes normally, and the other side's send loop passes it on
                }

                mayHaveMore = received == memory.Length;
                writer.Advance(received);
                Interlocked.Add(ref _bytesReceived, received);
                _owner.OnReceived(Side);

                var flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCanceled)
                {
                    aborted = new RelayAbortedException(); // the session aborted
                    break;
                }

                if (flush.IsCompleted)
                {
                    break; // the reader is gone: nobody to tell
                }
            }
        }
        catch (SocketException)
        {
            aborted = new RelayAbortedException();
            _owner.OnPeerFailed(Side);
        }
        catch (ObjectDisposedException)
        {
            // The session closed this socket (abort, idle timeout, drain): its reason is already set.
            aborted = new RelayAbortedException();
        }
        finally
        {
            await writer.CompleteAsync(aborted).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Ends <see cref="ReceiveAsync"/> even while it waits for a reader that will never come: above the
    /// pause threshold it waits in <c>FlushAsync</c>, which closing the socket does not wake. Before
    /// this, a connection rejected after 64 KiB of its bytes were buffered (non-TLS bytes on an sni
    /// listener, a backend connect timing out while the client uploads) never finished and kept its
    /// slots for good (issue 11). Called by the session after it closed the sockets, so a send loop
    /// woken by this finds its socket closed and cannot send a FIN where a reset belongs.
    /// </summary>
    public void Abort()
    {
        _input.Writer.CancelPendingFlush();
        _input.Reader.CancelPendingRead();
    }

    /// <summary>
    /// Whether a receive of 0 bytes (end of stream) was really a reset (or an abort). After an RST the
    /// first system call on the socket reports ECONNRESET and every later receive returns 0; when our
    /// send loop on the same socket makes that first call, the receive loop sees a clean end, and
    /// passing it on as a FIN made a truncated stream look complete (43–88 of 300 runs, issue 11). The kernel still
    /// knows: a reset socket is in TCP_CLOSE, while a FIN leaves it in CLOSE_WAIT (or TIME_WAIT after
    /// our own FIN). CLOSE is also reached gracefully through LAST_ACK, but only after our send side
    /// shut down, so that case is told apart by our own flag, read after the state.
    /// </summary>
    private bool WasReset()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            Span<byte> info = stackalloc byte[8]; // struct tcp_info starts with tcpi_state
            var length = Socket.GetRawSocketOption(TcpInfo.Level, TcpInfo.Option, info);
            return length >= 1 && info[0] == TcpInfo.StateClose && !_sendShutDown;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Closed by the session meanwhile (an abort on another thread, which may not have closed
            // the other socket yet): not a clean end either, so no FIN may be passed on for it.
            return true;
        }
    }

    /// <summary>
    /// <paramref name="source"/> → this socket. When the source completes (the other peer sent FIN),
    /// everything buffered is sent and then this socket's send side is shut down: half-close passes
    /// through, and the other direction keeps flowing. With a <paramref name="throttle"/> (a tenant
    /// with a <c>bandwidth</c> limit) every chunk waits for its tokens before it is sent; without one
    /// the loop is exactly the unlimited one.
    /// </summary>
    /// <param name="prelude">
    /// Bytes sent before the first byte of <paramref name="source"/> (the peeked ClientHello);
    /// <paramref name="preludeOwner"/> is disposed once they are sent or the loop ends.
    /// </param>
    public async Task SendAsync(PipeReader source, BandwidthThrottle? throttle = null, ReadOnlyMemory<byte> prelude = default, IDisposable? preludeOwner = null)
    {
        try
        {
            if (!prelude.IsEmpty)
            {
                await SendBufferAsync(new ReadOnlySequence<byte>(prelude), throttle).ConfigureAwait(false);
                preludeOwner?.Dispose();
                preludeOwner = null;
                _owner.OnActivity();
            }

            while (true)
            {
                var result = await source.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    await SendBufferAsync(buffer, throttle).ConfigureAwait(false);
                    _owner.OnActivity();
                }

                source.AdvanceTo(buffer.End);
                if (result.IsCanceled)
                {
                    break; // the session aborted: it closed this socket, abortively if a reset is owed
                }

                if (result.IsCompleted)
                {
                    _sendShutDown = true; // before the FIN leaves, for WasReset on the receive side
                    Socket.Shutdown(SocketShutdown.Send);
                    break;
                }
            }
        }
        catch (SocketException)
        {
            _owner.OnPeerFailed(Side);
        }
        catch (ObjectDisposedException)
        {
            // Closed by the session; reason already recorded.
        }
        catch (RelayAbortedException)
        {
            // The source side was reset or closed: the session's abort decides how this socket closes.
        }
        catch (OperationCanceledException)
        {
            // The session ended while this loop waited for bandwidth; reason already recorded.
        }
        finally
        {
            preludeOwner?.Dispose();
            await source.CompleteAsync().ConfigureAwait(false);
        }
    }

    private ValueTask SendBufferAsync(ReadOnlySequence<byte> buffer, BandwidthThrottle? throttle) =>
        throttle is null ? SendBufferAsync(buffer) : SendThrottledAsync(buffer, throttle);

    private async ValueTask SendBufferAsync(ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            await SendAllAsync(buffer.First).ConfigureAwait(false);
            return;
        }

        foreach (var segment in buffer)
        {
            await SendAllAsync(segment).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The buffer in chunks of at most <see cref="BandwidthThrottle.ChunkSize"/>, each sent once the
    /// tenant's bucket has its tokens. The pipe is not advanced until the whole buffer is sent, so while
    /// this waits the receive side stops at the pause threshold.
    /// </summary>
    private async ValueTask SendThrottledAsync(ReadOnlySequence<byte> buffer, BandwidthThrottle throttle)
    {
        foreach (var segment in buffer)
        {
            var rest = segment;
            while (!rest.IsEmpty)
            {
                var chunk = rest[..Math.Min(rest.Length, throttle.ChunkSize)];
                await throttle.WaitAsync(chunk.Length).ConfigureAwait(false);
                await SendAllAsync(chunk).ConfigureAwait(false);
                rest = rest[chunk.Length..];
                _owner.OnActivity(); // a slow turn is not idleness

            }
        }
    }

    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> memory)
    {
        while (!memory.IsEmpty)
        {
            var sent = await Socket.SendAsync(memory, SocketFlags.None).ConfigureAwait(false);
            memory = memory[sent..];
        }
    }
}
