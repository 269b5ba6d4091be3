using System.Globalization;
using System.Net;
using L4Balancer.LoadTest.Cli;
using L4Balancer.LoadTest.Reporting;
using L4Balancer.LoadTest.Stats;
using L4Balancer.LoadTest.Timing;

namespace L4Balancer.LoadTest.Scenarios;

/// <summary>The churn scenario: <c>--connections</c> workers, closed loop or <c>--rate</c> new connections per second in total.</summary>
internal sealed class ChurnRunner
{
    private readonly ChurnWorker[] _workers;
    private readonly ErrorCounters _errors = new();
    private readonly LiveLatency _live = new();
    private readonly RunClock _clock;
    private readonly double _rate;
    private readonly ScheduleTicker? _ticker;
    private long _lastCompleted;

    public ChurnRunner(LoadTestOptions options, IPEndPoint target, RunClock clock)
    {
        _clock = clock;
        _rate = options.Rate;
        var count = options.Connections;
        var schedule = _rate > 0 ? new RateSchedule(clock.Start, _rate) : null;
        var gates = new ScheduleGate[count];
        _workers = new ChurnWorker[count];
        for (var i = 0; i < count; i++)
        {
            gates[i] = new ScheduleGate();
            _workers[i] = new ChurnWorker(i, count, target, options.Request, options.ResponseBytes,
                schedule, gates[i], clock, _errors, _live, options.Timeout);
        }

        if (schedule is not null)
        {
            _ticker = new ScheduleTicker(schedule, gates, clock.MeasureEnd, clock.HardStop);
        }
    }

    public async Task<ChurnResult> RunAsync()
    {
        _ticker?.Start();
        await Task.WhenAll(_workers.Select(w => Task.Run(w.RunAsync))).ConfigureAwait(false);
        var measured = _workers.Sum(w => w.Measured);
        var seconds = _clock.MeasuredSeconds;
        return new ChurnResult(
            _workers.Length,
            _rate,
            Math.Round(seconds, 3),
            measured,
            Math.Round(measured / seconds, 1),
            _workers.Sum(w => w.Behind),
            LatencySummary.From(Histograms.Merge(_workers.Select(w => w.Connect))),
            LatencySummary.From(Histograms.Merge(_workers.Select(w => w.Request))),
            _errors.ToSummary());
    }

    public string Progress(double intervalSeconds)
    {
        var completed = _workers.Sum(w => w.Completed);
        var done = completed - _lastCompleted;
        _lastCompleted = completed;
        var (_, p99, max) = _live.TakeInterval();
        return string.Create(CultureInfo.InvariantCulture,
            $"conns {done / intervalSeconds,8:F0}/s  err {_errors.AllTotal,5}  request p99 {p99 / 1000.0,8:F3}ms  max {max / 1000.0,8:F3}ms");
    }
}
