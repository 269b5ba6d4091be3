using HdrHistogram;

namespace L4Balancer.LoadTest.Stats;

/// <summary>Latency histograms in microseconds, 3 significant digits, up to one hour (values above are clamped).</summary>
internal static class Histograms
{
    public const long HighestMicroseconds = 3_600_000_000;
    public const int SignificantDigits = 3;

    public static LongHistogram Create() => new(HighestMicroseconds, SignificantDigits);

    public static void Record(HistogramBase histogram, long microseconds) =>
        histogram.RecordValue(Math.Clamp(microseconds, 0, HighestMicroseconds));

    public static LongHistogram Merge(IEnumerable<HistogramBase> histograms)
    {
        var total = Create();
        foreach (var histogram in histograms)
        {
            total.Add(histogram);
        }

        return total;
    }
}
