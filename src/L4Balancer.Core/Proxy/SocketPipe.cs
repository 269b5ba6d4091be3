using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using L4Balancer.Core.Limits;

namespace L4Balancer.Core.Proxy;

/// <summary>
/// One socket of a session and the pipe of bytes received from it. Two loops, as in Kestrel's
/// SocketConnection: <see cref="ReceiveAsync"/> moves socket → <see cref="Input"/>, and
/// <see cref="SendAsync"/> moves the other side's input → this socket. Errors come back to the
/// owner as calls, not exceptions, so the session records one first-wins close reason.
/// </summary>
internal sealed class SocketPipe
{
    private readonly IRelayOwner _owner;
    private readonly Pipe _input;
    private readonly int _minimumReceive;
    private long _bytesReceived;

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

    /// <summary>True once the peer sent FIN (and everything before it was received).</summary>
    public bool ReceivedEof { get; private set; }

    /// <summary>Socket → <see cref="Input"/> until EOF, a failure, or the reader of the input goes away.</summary>
    public async Task ReceiveAsync()
    {
        var writer = _input.Writer;
        var mayHaveMore = false;
        try
        {
            while (true)
            {
                if (!mayHaveMore)
                {
                    // Wait for data before renting a buffer, so an idle connection holds no memory
                    // (Kestrel's WaitForDataBeforeAllocatingBuffer). Skipped right after a receive that
                    // filled its buffer: more is almost certainly queued and the extra syscall is waste.
                    var ready = await Socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                    _ = ready;
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
                    ReceivedEof = true;
                    break;
                }

                mayHaveMore = received == memory.Length;
                writer.Advance(received);
                Interlocked.Add(ref _bytesReceived, received);
                _owner.OnActivity();

                var flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
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
            // The session closed this socket (abort, idle timeout, drain): its reason is already set.
        }
        finally
        {
            await writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <paramref name="source"/> → this socket. When the source completes (the other peer sent FIN),
    /// everything buffered is sent and then this socket's send side is shut down: half-close passes
    /// through, and the other direction keeps flowing. With a <paramref name="throttle"/> (a tenant
    /// with a <c>bandwidth</c> limit) every chunk waits for its tokens before it is sent; without one
    /// the loop is exactly the unlimited one.
    /// </summary>
    public async Task SendAsync(PipeReader source, BandwidthThrottle? throttle = null)
    {
        try
        {
            while (true)
            {
                var result = await source.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    if (throttle is null)
                    {
                        await SendBufferAsync(buffer).ConfigureAwait(false);
                    }
                    else
                    {
                        await SendThrottledAsync(buffer, throttle).ConfigureAwait(false);
                    }

                    _owner.OnActivity();
                }

                source.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
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
        catch (OperationCanceledException)
        {
            // The session ended while this loop waited for bandwidth; reason already recorded.
        }
        finally
        {
            await source.CompleteAsync().ConfigureAwait(false);
        }
    }

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
