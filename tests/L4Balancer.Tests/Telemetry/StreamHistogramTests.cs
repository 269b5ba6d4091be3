using System.Diagnostics.Metrics;
using L4Balancer.Core.Telemetry;

namespace L4Balancer.Tests.Telemetry;

/// <summary>The two stream histograms of issue 16 on the engine's meter: names, labels, bucket advice.</summary>
public class StreamHistogramTests
{
    private sealed class NoSource : IMetricsSource
    {
        public IEnumerable<KeyValuePair<string, TenantCounters>> TenantCounters => [];

        public IEnumerable<BackendSample> Backends() => [];

        public IEnumerable<SessionBytes> LiveBytes() => [];

        public IEnumerable<KeyValuePair<string, int>> Queues() => [];

        public FleetSample? Fleet() => null;
    }

    [Fact]
    public void First_byte_and_max_gap_are_recorded_with_tenant_and_backend_and_their_own_buckets()
    {
        using var metrics = new BalancerMetrics(new NoSource(), new RejectionCounters(), new OutcomeCounters(), new OutcomeCounters());
        var seen = new List<(string Name, double Value, string Tags, IReadOnlyList<double>? Buckets)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, metrics.Meter))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => seen.Add((
            instrument.Name,
            value,
            string.Join(',', tags.ToArray().Select(t => $"{t.Key}={t.Value}")),
            (instrument as Histogram<double>)?.Advice?.HistogramBucketBoundaries)));
        listener.Start();

        metrics.RecordFirstByte("acme", "10.0.0.1:443", 0.3);
        metrics.RecordMaxGap("acme", "10.0.0.2:443", 0.5);

        Assert.Equal(2, seen.Count);
        Assert.Equal(("l4lb_backend_first_byte_seconds", 0.3, "tenant=acme,backend=10.0.0.1:443"), (seen[0].Name, seen[0].Value, seen[0].Tags));
        Assert.Equal(("l4lb_backend_max_gap_seconds", 0.5, "tenant=acme,backend=10.0.0.2:443"), (seen[1].Name, seen[1].Value, seen[1].Tags));
        Assert.Equal(MetricNames.FirstByteBuckets, seen[0].Buckets);
        Assert.Equal(MetricNames.MaxGapBuckets, seen[1].Buckets);
    }

    [Fact]
    public void Buckets_span_what_the_issue_asks_and_ascend()
    {
        Assert.Equal(0.005, MetricNames.FirstByteBuckets[0]);
        Assert.Equal(120, MetricNames.FirstByteBuckets[^1]);
        Assert.Equal(0.001, MetricNames.MaxGapBuckets[0]);
        Assert.Equal(300, MetricNames.MaxGapBuckets[^1]);
        foreach (var buckets in new[] { MetricNames.FirstByteBuckets, MetricNames.MaxGapBuckets })
        {
            Assert.Equal(buckets.Order(), buckets);
            Assert.Equal(buckets.Distinct().Count(), buckets.Length);
        }

        // The integration tests' 0.3 s first byte and 0.5 s stall must land above a boundary that tells them from a healthy stream.
        Assert.Contains(0.25, MetricNames.FirstByteBuckets);
        Assert.Contains(0.25, MetricNames.MaxGapBuckets);
    }
}
