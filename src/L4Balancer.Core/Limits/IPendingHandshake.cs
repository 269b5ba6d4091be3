namespace L4Balancer.Core.Limits;

/// <summary>A connection still sending its ClientHello, as <see cref="PendingHandshakeSet"/> sees it.</summary>
internal interface IPendingHandshake
{
    /// <summary>Bytes of the hello received so far; read from other threads, so approximate.</summary>
    long HelloProgress { get; }

    /// <summary>Made way for a newer connection: end it (the set has already taken its slot back).</summary>
    void Evict();
}
