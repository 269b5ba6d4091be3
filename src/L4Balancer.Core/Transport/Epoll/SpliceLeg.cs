namespace L4Balancer.Core.Transport.Epoll;

/// <summary>
/// One socket of a <see cref="SplicePump"/>, registered edge-triggered for both directions. Readiness is
/// remembered here: with edge triggering, epoll says "readable" once, so the pump keeps the flag until a
/// call returns EAGAIN, and a read held back by a full pipe resumes without a new event.
/// </summary>
internal sealed class SpliceLeg(SplicePump pump, RelaySide side, int fd) : IEpollHandler
{
    public RelaySide Side { get; } = side;

    public int Fd { get; } = fd;

    public long Token { get; set; } = -1;

    public bool Readable { get; set; }

    public bool Writable { get; set; }

    /// <summary>The peer has sent FIN or the socket failed (RDHUP, HUP or ERR seen): read until the end, a short read says nothing more.</summary>
    public bool PeerClosing { get; set; }

    /// <summary>EPOLLHUP or EPOLLERR seen: a read's end may be a reset (see <c>SplicePump.WasReset</c>).</summary>
    public bool HangupSeen { get; set; }

    /// <summary>Our send side was shut down (a FIN passed on): a later TCP_CLOSE is then not a reset.</summary>
    public bool SendShutDown { get; set; }

    public void OnEvents(EpollEvents events) => pump.OnLegEvents(this, events);
}
