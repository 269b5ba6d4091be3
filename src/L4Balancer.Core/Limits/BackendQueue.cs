namespace L4Balancer.Core.Limits;

/// <summary>
/// A tenant's waiting room (<c>queue_timeout</c>): connections that found every backend that is up at its
/// <c>max_connections</c> (configured, or lowered by an agent's <c>maxconn:N</c>) wait here, first come
/// first served, and are woken one at a time as slots free, instead of being refused or committed to one
/// backend's own queue. This is HAProxy's server <c>maxconn</c> with its queue: the request goes to whichever
/// slot frees first, anywhere, which a choice made at arrival cannot match when service times are
/// heavy-tailed (bench/README.md, "What could meet the target").
/// <para>
/// A wake-up is a hint, not a reservation: the woken connection picks again, and if another connection took
/// the slot first it waits again at the head of the queue. Every waiter also re-checks at least every
/// <see cref="RecheckInterval"/>, so a slot freed without a release here (an agent raising its
/// <c>maxconn</c>, a backend coming back up, a reload) is found without a wake-up.
/// </para>
/// </summary>
internal sealed class BackendQueue
{
    /// <summary>How long a waiter sleeps at most before it looks for a free slot on its own.</summary>
    public static readonly TimeSpan RecheckInterval = TimeSpan.FromMilliseconds(250);

    private readonly LinkedList<TaskCompletionSource> _waiters = new();
    private int _length;
    private long _total;

    /// <summary>Connections waiting now (the <c>l4lb_tenant_queued</c> gauge and <c>/api/status</c>'s <c>queued</c>).</summary>
    public int Length => Volatile.Read(ref _length);

    /// <summary>Connections that have waited here since the start (each counted once, however often it was woken).</summary>
    public long Total => Interlocked.Read(ref _total);

    /// <summary>Counts a connection into the queue; pair with <see cref="Leave"/>. False when <paramref name="maxQueue"/> (0 = unbounded) is reached.</summary>
    public bool TryEnter(int maxQueue)
    {
        while (true)
        {
            var length = Volatile.Read(ref _length);
            if (maxQueue > 0 && length >= maxQueue)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _length, length + 1, length) == length)
            {
                Interlocked.Increment(ref _total);
                return true;
            }
        }
    }

    public void Leave() => Interlocked.Decrement(ref _length);

    /// <summary>
    /// Waits for a wake-up, at most <paramref name="limit"/> (and never longer than <see cref="RecheckInterval"/>),
    /// or until <paramref name="cancellation"/> (the session was aborted). Returns normally in every case; the
    /// caller looks for a slot again and decides by its own deadline.
    /// </summary>
    public async Task WaitAsync(TimeSpan limit, bool atHead, TimeProvider time, CancellationToken cancellation)
    {
        // Continuations run on the thread pool, not inside the Release of whichever connection freed the
        // slot (it may be another event loop's thread, in the middle of closing its own connection).
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        LinkedListNode<TaskCompletionSource> node;
        lock (_waiters)
        {
            node = atHead ? _waiters.AddFirst(waiter) : _waiters.AddLast(waiter);
        }

        try
        {
            var wait = limit < RecheckInterval ? limit : RecheckInterval;
            await waiter.Task.WaitAsync(wait, time, cancellation).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            lock (_waiters)
            {
                if (node.List is not null)
                {
                    _waiters.Remove(node);
                }
            }
        }
    }

    /// <summary>A backend slot was given back: wakes the longest waiting connection, if any.</summary>
    public void SlotFreed()
    {
        if (Volatile.Read(ref _length) == 0)
        {
            return; // the common case: nobody waits, no lock
        }

        TaskCompletionSource? first = null;
        lock (_waiters)
        {
            if (_waiters.First is { } node)
            {
                first = node.Value;
                _waiters.RemoveFirst();
            }
        }

        first?.TrySetResult();
    }
}
