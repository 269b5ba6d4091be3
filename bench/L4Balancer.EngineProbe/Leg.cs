namespace L4Balancer.EngineProbe;

/// <summary>
/// One direction of a relayed connection: bytes received from its source socket and sent to its sink.
/// The chunk being sent is <see cref="Chunk"/>[<see cref="Offset"/>..<see cref="Length"/>): the direction's own
/// 16 KiB buffer, or (multishot receive) a buffer the kernel picked from the thread's provided-buffer ring.
/// </summary>
internal unsafe struct Leg
{
    public int Source;
    public int Sink;

    /// <summary>This direction's own buffer (single-shot engines); null under multishot receive.</summary>
    public byte* Buffer;
    public byte* Chunk;
    public int Length;
    public int Offset;

    /// <summary>The source sent FIN (a receive returned 0).</summary>
    public bool SourceEof;

    /// <summary>Our FIN went out to the sink (shutdown SHUT_WR): the direction is over.</summary>
    public bool FinPassed;

    // epoll engine: readiness as the product's pump keeps it (edge-triggered, so remembered between events).
    public bool SourceReadable;
    public bool SourceClosing;
    public bool SinkWritable;

    // io_uring engines: an operation of this direction in flight.
    public bool Receiving;
    public bool Sending;

    // multishot receive: the provided buffer being sent, and the ones received behind it (linked by buffer id).
    public int ChunkBid;
    public int QueueHead;
    public int QueueTail;
    public bool ParkedNoBuffers;

    public void Reset(int source, int sink)
    {
        Source = source;
        Sink = sink;
        Chunk = null;
        Length = Offset = 0;
        SourceEof = FinPassed = false;
        SourceReadable = SinkWritable = true;
        SourceClosing = false;
        Receiving = Sending = false;
        ChunkBid = QueueHead = QueueTail = -1;
        ParkedNoBuffers = false;
    }
}
