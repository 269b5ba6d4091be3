using System.Globalization;
using System.Net;
using L4Balancer.LoadTest.Cli;
using L4Balancer.LoadTest.Reporting;
using L4Balancer.LoadTest.Stats;
using L4Balancer.LoadTest.Timing;

namespace L4Balancer.LoadTest.Scenarios;

/// <summary>
/// The rr scenario: <c>--connections</c> persistent connections sharing a schedule of
/// <c>--rate</c> requests per second (request n on connection n % connections), or a closed
/// loop with <c>--rate 0</c>. Also the tenant-B half of neighbours.
/// </summary>
internal sealed class RrRunner
{
    private readonly RrConnection[] _connections;
    private readonly ErrorCounters _errors = new();
    private readonly LiveLatency _live = new();
    private readonly RunClock _clock;
    private readonly double _rate;
    private readonly long _timeoutTicks;
    private readonly ScheduleTicker? _ticker;
    private long _lastCompleted;

    public RrRunner(LoadTestOptions options, IPEndPoint target, RunClock clock)
    {
        _clock = clock;
        _rate = options.Rate;
        _timeoutTicks = Clock.Ticks(options.Timeout);
        var count = options.Connections;
        var schedule = _rate > 0 ? new RateSchedule(clock.Start, _rate) : null;
        var gates = new ScheduleGate[count];
        _connections = new RrConnection[count];
        for (var i = 0; i < count; i++)
        {
            gates[i] = new ScheduleGate();
            _connections[i] = new RrConnection(i, count, target, options.Request, options.ResponseBytes,
                schedule, gates[i], clock, _errors, _live, options.Timeout);
        }

        if (schedule is not null)
        {
            _ticker = new ScheduleTicker(schedule, gates, clock.MeasureEnd, clock.HardStop);
        }
    }

    public async Task<RrResult> RunAsync()
    {
        _ticker?.Start();
        using var watchdog = new Timer(_ => AbortStuckRequests(), null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
        await Task.WhenAll(_connections.Select(c => Task.Run(c.RunAsync))).ConfigureAwait(false);
        return Result();
    }

    /// <summary>"done 5000/s  err 0  p99 0.412ms  max 1.3ms" for the second just past.</summary>
    public string Progress(double intervalSeconds)
    {
        long completed = 0;
        foreach (var connection in _connections)
        {
            completed += connection.Completed;
        }

        var done = completed - _lastCompleted;
        _lastCompleted = completed;
        var (_, p99, max) = _live.TakeInterval();
        return string.Create(CultureInfo.InvariantCulture,
            $"done {done / intervalSeconds,8:F0}/s  err {_errors.AllTotal,5}  p99 {p99 / 1000.0,8:F3}ms  max {max / 1000.0,8:F3}ms");
    }

    private void AbortStuckRequests()
    {
        var limit = Clock.Now - _timeoutTicks;
        foreach (var connection in _connections)
        {
            connection.AbortIfSentBefore(limit);
        }
    }

    private RrResult Result()
    {
        var latency = Histograms.Merge(_connections.Select(c => c.Latency));
        var measured = _connections.Sum(c => c.Measured);
        var seconds = _clock.MeasuredSeconds;
        return new RrResult(
            _connections.Length,
            _rate,
            Math.Round(seconds, 3),
            measured,
            Math.Round(measured / seconds, 1),
            _connections.Sum(c => c.Behind),
            _connections.Sum(c => c.Reconnects),
            LatencySummary.From(latency),
            LatencySummary.From(Histograms.Merge(_connections.Select(c => c.Service))),
            LatencySummary.From(Histograms.Merge(_connections.Select(c => c.SendLag))),
            _errors.ToSummary());
    }
}
