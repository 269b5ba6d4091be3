namespace L4Balancer.Core.Transport.Epoll;

/// <summary>One direction of a <see cref="SplicePump"/>: from <see cref="Source"/>, through a pipe, to <see cref="Sink"/>.</summary>
internal sealed class SpliceDirection(SpliceLeg source, SpliceLeg sink)
{
    public SpliceLeg Source { get; } = source;

    public SpliceLeg Sink { get; } = sink;

    /// <summary>Taken when bytes arrive, given back once it is empty again.</summary>
    public KernelPipe? Pipe { get; set; }

    /// <summary>The copy buffer while the direction has only seen small reads; taken when bytes arrive, given back when empty.</summary>
    public byte[]? Buffer { get; set; }

    /// <summary>Bytes of <see cref="Buffer"/> sent so far.</summary>
    public int BufferStart { get; set; }

    /// <summary>Bytes of <see cref="Buffer"/> received so far.</summary>
    public int BufferEnd { get; set; }

    /// <summary>A read once filled the buffer: this direction carries bulk and splices from then on.</summary>
    public bool Spliced { get; set; }

    /// <summary>The tenant's bandwidth limit for this direction, or null (unlimited).</summary>
    public Limits.BandwidthThrottle? Throttle { get; set; }

    /// <summary>Bytes the throttle has granted and not yet sent.</summary>
    public int Allowance { get; set; }

    /// <summary>Armed while granted bytes wait for their time; the direction sends nothing until it fires.</summary>
    public LoopTimer? Resume { get; set; }

    /// <summary>Bytes to send before the first spliced byte (the PROXY header's successor: the peeked ClientHello).</summary>
    public ReadOnlyMemory<byte> Prelude { get; set; }

    /// <summary>Bytes read from <see cref="Source"/>, live.</summary>
    public long Bytes;

    /// <summary>The source sent FIN (splice returned 0).</summary>
    public bool SourceEnded { get; set; }

    /// <summary>Everything was passed on and the sink's send side shut down.</summary>
    public bool Finished { get; set; }
}
