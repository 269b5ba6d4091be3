namespace L4Balancer.LoadTest.Timing;

/// <summary>
/// The open-loop plan: operation <c>n</c> is due at <c>start + n / rate</c>, whatever happened to the
/// operations before it. Latency is measured from this intended time, so a stall in the target
/// delays every later operation's clock too and cannot hide (no coordinated omission).
/// Operation <c>n</c> belongs to connection <c>n % connections</c>.
/// </summary>
internal sealed class RateSchedule(long start, double rate)
{
    private readonly double _ticksPerOperation = System.Diagnostics.Stopwatch.Frequency / rate;

    public long IntendedTime(long n) => start + (long)(n * _ticksPerOperation);
}
