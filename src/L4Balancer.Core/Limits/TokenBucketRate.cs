namespace L4Balancer.Core.Limits;

/// <summary>
/// How fast a <see cref="TokenBucket"/> refills and how much it holds, in the ticks of one
/// <see cref="TimeProvider"/>. Built from the config snapshot a connection was accepted under, so a
/// reload that changes a limit applies to new connections while the bucket's state carries on.
/// </summary>
internal readonly struct TokenBucketRate
{
    // A fractional rate (a fleet member's share of connection_rate, say 16.67/s) is kept exactly enough as
    // whole units: PerSecond units per second, UnitsPerToken units per token.
    private const long MicroTokens = 1_000_000;

    private TokenBucketRate(long perSecond, long toleranceTicks, long frequency, long unitsPerToken = 1)
    {
        PerSecond = perSecond;
        ToleranceTicks = toleranceTicks;
        Frequency = frequency;
        UnitsPerToken = unitsPerToken;
    }

    /// <summary>Units added per second: tokens, unless <see cref="UnitsPerToken"/> says otherwise.</summary>
    public long PerSecond { get; }

    /// <summary>1, or a million for a fractional rate (<see cref="ForFractionalTokens"/>).</summary>
    public long UnitsPerToken { get; }

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

    /// <summary>
    /// A rate that need not be a whole number of tokens per second (an instance's share of a fleet-wide
    /// <c>connection_rate</c>); the bucket holds <paramref name="burst"/> tokens, at least one.
    /// </summary>
    public static TokenBucketRate ForFractionalTokens(double perSecond, double burst, long frequency)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        var units = Math.Max(1, (long)Math.Round(perSecond * MicroTokens));
        var rate = new TokenBucketRate(units, 0, frequency, MicroTokens);
        var tolerance = (Int128)rate.CostTicks(1) * (long)Math.Round(Math.Max(1, burst) * MicroTokens) / MicroTokens;
        return new TokenBucketRate(units, Saturate(tolerance), frequency, MicroTokens);
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
        var product = (Int128)count * UnitsPerToken * Frequency;
        return Saturate((product + PerSecond - 1) / PerSecond);
    }

    // Far from long.MaxValue, so adding a cost to a timestamp cannot overflow.
    private static long Saturate(Int128 value) => value > long.MaxValue / 4 ? long.MaxValue / 4 : (long)value;
}
