namespace L4Balancer.Core.Flow;

/// <summary>
/// At most one log line per interval for an event that can repeat thousands of times a second (a
/// process out of descriptors fails every connection): the line that is written carries how many
/// were not. Lock-free; a race lets at most one extra line through.
/// </summary>
internal sealed class LogThrottle(TimeProvider timeProvider, TimeSpan interval)
{
    private readonly long _intervalTicks = (long)(interval.TotalSeconds * timeProvider.TimestampFrequency);
    private long _nextLog = long.MinValue;
    private long _suppressed;

    /// <summary>True when this occurrence should be logged; <paramref name="suppressed"/> is then the count since the last line.</summary>
    public bool ShouldLog(out long suppressed)
    {
        var now = timeProvider.GetTimestamp();
        var next = Interlocked.Read(ref _nextLog);
        if (now < next || Interlocked.CompareExchange(ref _nextLog, now + _intervalTicks, next) != next)
        {
            Interlocked.Increment(ref _suppressed);
            suppressed = 0;
            return false;
        }

        suppressed = Interlocked.Exchange(ref _suppressed, 0);
        return true;
    }
}
