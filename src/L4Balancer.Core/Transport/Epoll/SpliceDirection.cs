namespace L4Balancer.Core.Transport.Epoll;

/// <summary>One direction of a <see cref="SplicePump"/>: from <see cref="Source"/>, through a pipe, to <see cref="Sink"/>.</summary>
internal sealed class SpliceDirection(SpliceLeg source, SpliceLeg sink)
{
    public SpliceLeg Source { get; } = source;

    public SpliceLeg Sink { get; } = sink;

    /// <summary>Taken when bytes arrive, given back once it is empty again.</summary>
    public KernelPipe? Pipe { get; set; }

    /// <summary>Bytes to send before the first spliced byte (the PROXY header's successor: the peeked ClientHello).</summary>
    public ReadOnlyMemory<byte> Prelude { get; set; }

    /// <summary>Bytes read from <see cref="Source"/>, live.</summary>
    public long Bytes;

    /// <summary>The source sent FIN (splice returned 0).</summary>
    public bool SourceEnded { get; set; }

    /// <summary>Everything was passed on and the sink's send side shut down.</summary>
    public bool Finished { get; set; }
}
