using HdrHistogram;

namespace L4Balancer.LoadTest.Stats;

/// <summary>
/// Latency of the last second for the progress line: one thread-safe HdrHistogram
/// <see cref="Recorder"/> all connections write to; the progress loop swaps intervals out.
/// The final statistics do not come from here (see each scenario's per-connection histograms).
/// </summary>
internal sealed class LiveLatency
{
    private readonly Recorder _recorder = new(1, Histograms.HighestMicroseconds, Histograms.SignificantDigits,
        (id, lowest, highest, digits) => new LongConcurrentHistogram(id, lowest, highest, digits));

    private HistogramBase? _interval;

    public void Record(long microseconds) => _recorder.RecordValue(Math.Clamp(microseconds, 0, Histograms.HighestMicroseconds));

    /// <summary>Count, p99 and max (µs) since the previous call; only the progress loop calls this.</summary>
    public (long Count, long P99, long Max) TakeInterval()
    {
        _interval = _interval is null ? _recorder.GetIntervalHistogram() : _recorder.GetIntervalHistogram(_interval);
        return _interval.TotalCount == 0
            ? (0, 0, 0)
            : (_interval.TotalCount, _interval.GetValueAtPercentile(99), _interval.GetMaxValue());
    }
}
