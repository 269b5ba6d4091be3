namespace L4Balancer.EngineProbe;

/// <summary>A relayed connection: the accepted client socket, the socket to the backend, both directions.</summary>
internal struct Session
{
    public int Client;
    public int Backend;

    /// <summary>Bumped when the slot is freed, so an epoll event still queued for the previous occupant is dropped.</summary>
    public uint Generation;
    public bool InUse;
    public bool Connected;
    public bool Failed;

    /// <summary>io_uring operations in flight for this session: its slot is freed only at 0.</summary>
    public int Pending;

    /// <summary>client → backend.</summary>
    public Leg Up;

    /// <summary>backend → client.</summary>
    public Leg Down;
}
