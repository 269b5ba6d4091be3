namespace L4Balancer.Core.Limits;

/// <summary>
/// How fast a <see cref="TokenBucket"/> refills and how much it holds, in the ticks of one
/// <see cref="TimeProvider"/>. Built from the config snapshot a connection was accepted under, so a
/// reload that changes a limit applies to new connections while the bucket's state carries on.
/// </summary>
internal readonly struct TokenBucketRate
{
    private TokenBucketRate(long perSecond, long toleranceTicks, long frequency)
    {
        PerSecond = perSecond;
        ToleranceTicks = toleranceTicks;
        Frequency = frequency;
    }

    /// <summary>Tokens added per second.</summary>
    public long PerSecond { get; }

    /// <summary>The bucket's size expressed as the time it takes to refill it from empty.</summary>
    public long ToleranceTicks { get; }

    public long Frequency { get; }

    /// <summary>
    /// <c>connection_rate</c> / <c>connection_burst</c>: the size is a whole number of tokens, so that
    /// exactly <paramref name="burst"/> connections arriving at one instant are admitted.
    /// </summary>
    public static TokenBucketRate ForTokens(long perSecond, long burst, long frequency)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burst);
        var rate = new TokenBucketRate(perSecond, 0, frequency);
        return new TokenBucketRate(perSecond, Saturate((Int128)rate.CostTicks(1) * burst), frequency);
    }

    /// <summary>A bucket that holds <paramref name="window"/>'s worth of tokens (bandwidth: bytes).</summary>
    public static TokenBucketRate ForWindow(long perSecond, TimeSpan window, long frequency)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        return new TokenBucketRate(perSecond, Saturate((Int128)frequency * window.Ticks / TimeSpan.TicksPerSecond), frequency);
    }

    /// <summary>
    /// Ticks that <paramref name="count"/> tokens take to refill, rounded up: the bucket may run a
    /// hair under its rate (under one tick per take), never over it.
    /// </summary>
    public long CostTicks(long count)
    {
        var product = (Int128)count * Frequency;
        return Saturate((product + PerSecond - 1) / PerSecond);
    }

    // Far from long.MaxValue, so adding a cost to a timestamp cannot overflow.
    private static long Saturate(Int128 value) => value > long.MaxValue / 4 ? long.MaxValue / 4 : (long)value;
}
