namespace L4Balancer.Core.Limits;

/// <summary>
/// A token bucket kept as one number, in the virtual-scheduling form of GCRA: <c>_emptyAt</c> is the
/// time at which the bucket is (or was) empty; it holds <c>(now - _emptyAt) / cost</c> tokens, at most
/// its size. Taking tokens moves <c>_emptyAt</c> forward by their cost, with one CAS and no lock, so a
/// burst of simultaneous takes can never take more than the bucket holds.
/// </summary>
/// <remarks>
/// Not <c>System.Threading.RateLimiting.TokenBucketRateLimiter</c>: it is not in the base shared
/// framework (only in ASP.NET Core's, and the engine does not reference it), it refills from its own
/// timer or <c>Stopwatch</c> rather than a <see cref="TimeProvider"/> (dotnet/runtime#106447, open), so
/// tests would have to sleep, and it takes a lock per acquire. Its queueing is not what bandwidth
/// needs either: a send must wait for its turn, not be refused. The state is a point in time rather
/// than a token count, so a reload that changes the rate needs no conversion.
/// </remarks>
internal sealed class TokenBucket
{
    // "Long ago": a new bucket is full. Far from long.MinValue, so now - tolerance cannot underflow past it.
    private long _emptyAt = long.MinValue / 4;

    /// <summary>Takes one token if the bucket holds one (connection_rate); never waits.</summary>
    public bool TryTake(in TokenBucketRate rate, TimeProvider time)
    {
        var now = time.GetTimestamp();
        var cost = rate.CostTicks(1);
        var emptyAt = Volatile.Read(ref _emptyAt);
        while (true)
        {
            var next = Math.Max(emptyAt, now - rate.ToleranceTicks) + cost;
            if (next > now)
            {
                return false;
            }

            var seen = Interlocked.CompareExchange(ref _emptyAt, next, emptyAt);
            if (seen == emptyAt)
            {
                return true;
            }

            emptyAt = seen;
        }
    }

    /// <summary>
    /// Takes <paramref name="count"/> tokens whether or not the bucket holds them, and returns how long
    /// the caller must wait before using them (zero when it held them). Reservations are served in the
    /// order they were made, so callers taking turns share the rate evenly.
    /// </summary>
    public TimeSpan Reserve(long count, in TokenBucketRate rate, TimeProvider time)
    {
        var now = time.GetTimestamp();
        var cost = rate.CostTicks(count);
        var emptyAt = Volatile.Read(ref _emptyAt);
        while (true)
        {
            var next = Math.Max(emptyAt, now - rate.ToleranceTicks) + cost;
            var seen = Interlocked.CompareExchange(ref _emptyAt, next, emptyAt);
            if (seen == emptyAt)
            {
                return next <= now ? TimeSpan.Zero : TimeSpan.FromTicks(TicksToTimeSpanTicks(next - now, rate.Frequency));
            }

            emptyAt = seen;
        }
    }

    /// <summary>Rounded up, so a waiter never wakes before its tokens are there.</summary>
    private static long TicksToTimeSpanTicks(long ticks, long frequency) =>
        (long)(((Int128)ticks * TimeSpan.TicksPerSecond + frequency - 1) / frequency);
}
