namespace L4Balancer.LoadTest.Timing;

/// <summary>
/// One thread that walks the <see cref="RateSchedule"/> and releases each operation at its intended
/// time. It sleeps until the next one is due, but never less than <see cref="MinSleep"/>: below that
/// the wake-up cost (a context switch on a 2-core VM) outweighs the precision gained. What lateness
/// remains is measured, not assumed: it shows as the send-lag percentiles of each run.
/// </summary>
internal sealed class ScheduleTicker
{
    private static readonly long MinSleep = Clock.Ticks(TimeSpan.FromMicroseconds(50));
    private static readonly long MaxSleep = Clock.Ticks(TimeSpan.FromMilliseconds(5));

    private readonly RateSchedule _schedule;
    private readonly ScheduleGate[] _gates;
    private readonly long _end;
    private readonly CancellationToken _stop;
    private readonly Thread _thread;

    public ScheduleTicker(RateSchedule schedule, ScheduleGate[] gates, long end, CancellationToken stop)
    {
        _schedule = schedule;
        _gates = gates;
        _end = end;
        _stop = stop;
        _thread = new Thread(Run) { IsBackground = true, Name = "schedule ticker", Priority = ThreadPriority.AboveNormal };
    }

    public void Start() => _thread.Start();

    private void Run()
    {
        PreciseSleep.TightenTimerSlack();
        long n = 0;
        var connections = _gates.Length;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var now = Clock.Now;
                var due = _schedule.IntendedTime(n);
                while (due <= now && due < _end)
                {
                    _gates[n % connections].Release(n);
                    due = _schedule.IntendedTime(++n);
                }

                if (due >= _end)
                {
                    break;
                }

                PreciseSleep.Sleep(Math.Clamp(due - now, MinSleep, MaxSleep));
            }
        }
        finally
        {
            foreach (var gate in _gates)
            {
                gate.Release(long.MaxValue);
            }
        }
    }
}
