using HdrHistogram;

namespace L4Balancer.LoadTest.Reporting;

/// <summary>Percentiles of one histogram, in microseconds (HdrHistogram, 3 significant digits).</summary>
internal sealed record LatencySummary(long Count, double MeanUs, long P50Us, long P90Us, long P99Us, long P999Us, long MaxUs)
{
    public static LatencySummary From(HistogramBase histogram) => histogram.TotalCount == 0
        ? new LatencySummary(0, 0, 0, 0, 0, 0, 0)
        : new LatencySummary(
            histogram.TotalCount,
            Math.Round(histogram.GetMean(), 1),
            histogram.GetValueAtPercentile(50),
            histogram.GetValueAtPercentile(90),
            histogram.GetValueAtPercentile(99),
            histogram.GetValueAtPercentile(99.9),
            histogram.GetMaxValue());
}
