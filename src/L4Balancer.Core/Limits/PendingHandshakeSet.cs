namespace L4Balancer.Core.Limits;

/// <summary>
/// The connections on sni listeners still waiting for their ClientHello
/// (<c>global.max_pending_handshakes</c>), oldest first. When the bound is full a newcomer is not
/// refused: the connection that has made the least progress among the oldest few is evicted and the
/// newcomer takes its slot. An honest client finishes its hello in one round trip, so it is never
/// among the oldest; slow-loris connections are, and they cannot lock honest clients out by filling
/// the bound (issue 11: 8 000 slow-loris connections from 100 addresses made a good client fail 110
/// of 172 handshakes while the bound refused newcomers).
/// </summary>
internal sealed class PendingHandshakeSet
{
    /// <summary>
    /// How many of the oldest are weighed against each other. A few, not all: eviction stays O(1) per
    /// connection under a flood, and beyond the oldest few age already says enough.
    /// </summary>
    internal const int EvictionWindow = 8;

    private readonly LinkedList<IPendingHandshake> _pending = new();
    private readonly object _lock = new();
    private long _evicted;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Connections evicted since start.</summary>
    public long Evicted => Interlocked.Read(ref _evicted);

    /// <summary>
    /// Takes a slot for <paramref name="connection"/> (always: a full set makes room by evicting),
    /// and returns the handle to give back with <see cref="Leave"/>. <paramref name="limit"/> 0 is unlimited.
    /// </summary>
    public LinkedListNode<IPendingHandshake> Enter(IPendingHandshake connection, int limit)
    {
        var node = new LinkedListNode<IPendingHandshake>(connection);
        IPendingHandshake? victim = null;
        lock (_lock)
        {
            if (limit > 0 && _pending.Count >= limit)
            {
                var oldest = _pending.First!;
                var chosen = oldest;
                for (var (candidate, i) = (oldest.Next, 1); candidate is not null && i < EvictionWindow; candidate = candidate.Next, i++)
                {
                    if (candidate.Value.HelloProgress < chosen.Value.HelloProgress)
                    {
                        chosen = candidate;
                    }
                }

                // Removed here, so the victim's own Leave later finds nothing to give back: its slot is
                // the newcomer's now, and the count never exceeds the limit.
                _pending.Remove(chosen);
                victim = chosen.Value;
            }

            _pending.AddLast(node);
        }

        if (victim is not null)
        {
            Interlocked.Increment(ref _evicted);
            victim.Evict(); // outside the lock: it closes a socket
        }

        return node;
    }

    /// <summary>The hello is in (or the connection ended): gives the slot back unless it was evicted. Safe to call twice.</summary>
    public void Leave(LinkedListNode<IPendingHandshake> node)
    {
        lock (_lock)
        {
            if (node.List is not null)
            {
                _pending.Remove(node);
            }
        }
    }
}
