namespace L4Balancer.LoadTest.Reporting;

/// <summary>
/// soak: one resource of the balancer (RSS or descriptors) over the samples taken after warm-up
/// (the first 20 % of the run). <see cref="DriftPercent"/> compares the median of the last three
/// samples with the median of the first three: a leak shows as a steady climb, where min/max
/// also catch a one-off spike. Null when fewer than two samples were taken after warm-up.
/// </summary>
internal sealed record ResourceSummary(
    int Samples,
    double FromSeconds,
    double? Min,
    double? Max,
    double? First,
    double? Last,
    double? DriftPercent,
    bool? WithinTarget)
{
    public const double TargetPercent = 5;
    public const double WarmupShare = 0.2;

    public static ResourceSummary From(IEnumerable<(double Seconds, double? Value)> samples, double runSeconds)
    {
        var from = Math.Round(runSeconds * WarmupShare, 3);
        var values = samples.Where(s => s.Seconds >= from && s.Value is not null).Select(s => s.Value!.Value).ToArray();
        if (values.Length < 2)
        {
            return new ResourceSummary(values.Length, from, values.FirstOrDefault(), values.FirstOrDefault(), null, null, null, null);
        }

        var edge = Math.Min(3, values.Length / 2);
        var first = Median(values[..edge]);
        var last = Median(values[^edge..]);
        double? drift = first > 0 ? Math.Round((last - first) / first * 100, 2) : null;
        return new ResourceSummary(values.Length, from, values.Min(), values.Max(), first, last, drift, drift is { } d ? Math.Abs(d) <= TargetPercent : null);
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
