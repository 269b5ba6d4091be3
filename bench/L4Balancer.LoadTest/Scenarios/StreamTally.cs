using HdrHistogram;
using L4Balancer.LoadTest.Stats;

namespace L4Balancer.LoadTest.Scenarios;

/// <summary>
/// What every stream connection adds to: counters and two shared histograms. One histogram per
/// connection, as rr keeps, would be 2000 × ~200 KB; a concurrent histogram costs an interlocked
/// add per chunk, which at 40 000 chunks/s is nothing next to the receive itself.
/// </summary>
internal sealed class StreamTally
{
    public ErrorCounters Errors { get; } = new();

    /// <summary>Receive time − stamped send time (µs), chunks received inside the window.</summary>
    public HistogramBase ChunkDelay { get; } = new LongConcurrentHistogram(1, Histograms.HighestMicroseconds, Histograms.SignificantDigits);

    /// <summary>Request sent → first chunk in (µs), every stream.</summary>
    public HistogramBase FirstChunk { get; } = new LongConcurrentHistogram(1, Histograms.HighestMicroseconds, Histograms.SignificantDigits);

    public LiveLatency Live { get; } = new();

    public long Opened;
    public long Open;
    public long Complete;
    public long Short;
    public long Unfinished;
    public long Chunks;
    public long ChunksExpected;
}
