using System.Collections.Concurrent;
using HdrHistogram;
using L4Balancer.LoadTest.Stats;

namespace L4Balancer.LoadTest.Scenarios.Llm;

/// <summary>What every request of the llm scenario adds to; histograms in µs, only for requests intended inside the window.</summary>
internal sealed class LlmTally
{
    public ErrorCounters Errors { get; } = new();

    /// <summary>Intended send time → first byte of the response (= the first token).</summary>
    public HistogramBase Ttft { get; } = Concurrent();

    /// <summary>Intended send time → the last chunk.</summary>
    public HistogramBase Completion { get; } = Concurrent();

    /// <summary>(last chunk − first byte) ÷ (tokens − 1): the pace of the answer once it started.</summary>
    public HistogramBase TimePerToken { get; } = Concurrent();

    public HistogramBase Connect { get; } = Concurrent();

    /// <summary>Intended → actual send of the request (the generator's own lateness).</summary>
    public HistogramBase SendLag { get; } = Concurrent();

    public LiveLatency Live { get; } = new();

    /// <summary>Completed requests by the instance that answered (X-Served-By), measured ones only.</summary>
    public ConcurrentDictionary<string, long> ServedBy { get; } = new(StringComparer.Ordinal);

    public long Started;
    public long Measured;
    public long Completed;
    public long CompletedAll;
    public long Failed;
    public long Unfinished;
    public long Tokens;
    public long TokensExpected;
    public long PromptBytes;
    public long TokensAsked;
    public long InFlight;
    public long PeakInFlight;

    private static LongConcurrentHistogram Concurrent() => new(1, Histograms.HighestMicroseconds, Histograms.SignificantDigits);
}
