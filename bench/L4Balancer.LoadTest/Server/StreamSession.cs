using System.Net.Sockets;

namespace L4Balancer.LoadTest.Server;

/// <summary>
/// One connection of the <see cref="ChunkStreamServer"/>. Two parties hold it: the receive loop
/// (from accept until the client closes) and, once the request is in, the ticker (until the last
/// chunk is out). Whoever lets go last disposes the socket, so neither has to know what the other
/// is doing. Everything but <see cref="Closed"/> and the reference count is touched by the ticker
/// thread only.
/// </summary>
internal sealed class StreamSession(Socket socket, int chunkBytes)
{
    private int _references = 1;
    private volatile bool _closed;

    public Socket Socket { get; } = socket;

    /// <summary>The chunk being sent; the bytes from <see cref="Offset"/> on are still to go (a short send).</summary>
    public byte[] Chunk { get; } = new byte[chunkBytes];

    public int Offset { get; set; } = chunkBytes;

    /// <summary>The next chunk's sequence number.</summary>
    public int Next { get; set; }

    /// <summary>When the next chunk is due (Stopwatch ticks): the stream's start + Next × interval, so lateness never accumulates.</summary>
    public long Due { get; set; }

    /// <summary>The client closed or reset: the ticker drops the stream at its next turn.</summary>
    public bool Closed => _closed;

    public bool HasPending => Offset < Chunk.Length;

    public void MarkClosed() => _closed = true;

    /// <summary>The ticker takes its hold when the request arrives.</summary>
    public void Retain() => Interlocked.Increment(ref _references);

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Socket.Dispose();
        }
    }
}
