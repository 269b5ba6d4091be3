namespace L4Balancer.LoadTest.Timing;

/// <summary>
/// The phases of one run, as timestamps: warmup from <see cref="Start"/>, the measured window
/// [<see cref="MeasureStart"/>, <see cref="MeasureEnd"/>), then a grace period for work in flight;
/// at <see cref="HardDeadline"/> <see cref="HardStop"/> fires and every socket is closed.
/// </summary>
internal sealed class RunClock : IDisposable
{
    private readonly CancellationTokenSource _hardStop;
    private readonly CancellationTokenSource _windowEnd;

    public RunClock(TimeSpan warmup, TimeSpan duration, TimeSpan grace)
    {
        Start = Clock.Now;
        MeasureStart = Start + Clock.Ticks(warmup);
        MeasureEnd = MeasureStart + Clock.Ticks(duration);
        HardDeadline = MeasureEnd + Clock.Ticks(grace);
        Warmup = warmup;
        Duration = duration;
        _windowEnd = new CancellationTokenSource(warmup + duration);
        _hardStop = new CancellationTokenSource(warmup + duration + grace);
    }

    public long Start { get; }
    public long MeasureStart { get; }
    public long MeasureEnd { get; }
    public long HardDeadline { get; }
    public TimeSpan Warmup { get; }
    public TimeSpan Duration { get; }

    /// <summary>Fires at the end of the measured window: stop starting new work.</summary>
    public CancellationToken WindowEnd => _windowEnd.Token;

    /// <summary>Fires at the hard deadline: abandon work in flight.</summary>
    public CancellationToken HardStop => _hardStop.Token;

    public bool InWindow(long timestamp) => timestamp >= MeasureStart && timestamp < MeasureEnd;

    public double MeasuredSeconds => Clock.Seconds(MeasureEnd - MeasureStart);

    public double Elapsed => Clock.Seconds(Clock.Now - Start);

    public void Dispose()
    {
        _windowEnd.Dispose();
        _hardStop.Dispose();
    }
}
