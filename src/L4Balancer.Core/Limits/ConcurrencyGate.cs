namespace L4Balancer.Core.Limits;

/// <summary>
/// A race-free concurrency counter: <see cref="TryAcquire"/> is a CAS loop (as
/// <see cref="Balancing.BackendState.TryAcquire"/>), so however many connections arrive at once a
/// limit of 5 never admits a sixth. The limit is passed per call because it comes from the config
/// snapshot the connection was accepted under, while the count outlives every snapshot.
/// </summary>
internal sealed class ConcurrencyGate
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// Takes a slot unless <paramref name="limit"/> slots are taken. A limit of 0 means unlimited, but
    /// the slot is still counted: a reload that sets a limit then sees the true number of connections.
    /// </summary>
    public bool TryAcquire(int limit)
    {
        if (limit <= 0)
        {
            Interlocked.Increment(ref _count);
            return true;
        }

        var current = Volatile.Read(ref _count);
        while (current < limit)
        {
            var seen = Interlocked.CompareExchange(ref _count, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>Gives back a slot taken by a successful <see cref="TryAcquire"/> (exactly once per slot).</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _count) < 0)
        {
            throw new InvalidOperationException("a concurrency slot was released twice");
        }
    }
}
