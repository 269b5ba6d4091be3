namespace L4Balancer.Core.Balancing;

/// <summary>
/// <c>balance = "least_load"</c> (issue 16): the available backend with the lowest
/// <c>(active + load) / weight</c>, where <c>load</c> is the figure the backend last reported
/// (<see cref="BackendReport.Load"/>, e.g. <c>waiting × 1 + kv_cache_usage × 4</c>) while that report is
/// fresh, and 0 otherwise. The load is read as a number of extra open connections: a backend with 3
/// streams and 5 requests queued counts as 8.
/// <para>
/// Why this form (README, "<c>balance = "least_load"</c>", has the evidence): it is monotone in both
/// connections and load; with a load of 0, or no fresh report, a backend scores <c>active / weight</c>,
/// least connections exactly, so a fleet without fresh reports picks what <see cref="LeastConnectionsPolicy"/>
/// picks, pick for pick (same rotating start for ties, same integer comparison); and a backend with a deep
/// queue is never out, only behind: it takes connections again once the others' connections plus load
/// pass its own, or at once when the others are full, excluded or down. The connections count is live
/// while the load is up to <c>interval</c> old, so the connections sent after a report push a backend's
/// score up at once and a burst does not all land on the backend that looked emptiest a second ago.
/// </para>
/// <para>
/// A report counts while younger than <c>stale_after</c> on the engine's <see cref="TimeProvider"/>; a
/// report without a load (a failed poll, an agent's line), a stale one or none leaves that backend on
/// plain least connections while the others keep their load. Feedback never makes a backend unavailable
/// here: availability is <see cref="BackendState.IsAvailable"/>'s alone.
/// </para>
/// </summary>
internal sealed class LeastLoadPolicy : ILoadBalancingPolicy
{
    /// <summary>
    /// Bounds the arithmetic, not the policy: times a weight of up to 2^31 this stays far from overflowing
    /// a double, so an absurd report (a counter configured as a gauge) still compares as a finite number.
    /// </summary>
    internal const double MaxLoad = 1e15;

    private readonly TimeProvider _timeProvider;

    // stale_after in the clock's own timestamp units (nanoseconds for Stopwatch on Linux, TimeSpan ticks for
    // FakeTimeProvider), converted once, so that a pick subtracts timestamps instead of turning each report's
    // age into a TimeSpan. The clock itself is read once per pick, and only if some backend has a load:
    // that read is most of what a pick costs over least connections (LeastLoadPickerBenchmarks).
    private readonly long _staleAfterTicks;

    private uint _cursor;

    public LeastLoadPolicy(TimeProvider timeProvider, TimeSpan staleAfter)
    {
        _timeProvider = timeProvider;
        StaleAfter = staleAfter;
        var ticks = (Int128)Math.Max(0, staleAfter.Ticks) * timeProvider.TimestampFrequency / TimeSpan.TicksPerSecond;
        _staleAfterTicks = ticks > long.MaxValue ? long.MaxValue : (long)ticks;
    }

    public TimeSpan StaleAfter { get; }

    public BackendState? Pick(IReadOnlyList<BackendState> backends, IReadOnlyCollection<BackendState> exclude, PickContext context = default)
    {
        var count = backends.Count;
        if (count == 0)
        {
            return null;
        }

        // The same rotation as least connections, so ties are shared the same way and a fleet without fresh
        // reports picks exactly as it would.
        var start = (int)(Interlocked.Increment(ref _cursor) % (uint)count);
        long now = 0; // read from the clock at the first report that has a load, not on every pick
        var haveNow = false;
        BackendState? best = null;
        long bestActive = 0;
        long bestWeight = 1;
        double bestLoad = 0;
        for (var i = 0; i < count; i++)
        {
            var candidate = backends[(start + i) % count];
            if (!candidate.IsAvailable || (exclude.Count != 0 && exclude.Contains(candidate)))
            {
                continue;
            }

            long active = candidate.ActiveConnections;
            var weight = WeightOf(candidate);
            var load = 0.0;
            if (candidate.Report is { Load: not null } report)
            {
                if (!haveNow)
                {
                    now = _timeProvider.GetTimestamp();
                    haveNow = true;
                }

                load = FreshLoad(report, now);
            }

            if (best is null || Lower(active, load, weight, bestActive, bestLoad, bestWeight))
            {
                best = candidate;
                bestActive = active;
                bestWeight = weight;
                bestLoad = load;
            }
        }

        return best;
    }

    /// <summary>
    /// The load a pick counts for this report at <paramref name="now"/>: 0 without a report, without a load,
    /// or when the report is older than <c>stale_after</c>; negative and NaN figures count as 0 (no report
    /// may make a backend look better than idle) and the rest is capped at <see cref="MaxLoad"/>.
    /// </summary>
    internal double FreshLoad(BackendReport? report, long now)
    {
        if (report?.Load is not { } load || now - report.ReceivedAt > _staleAfterTicks)
        {
            return 0;
        }

        return load > 0 ? Math.Min(load, MaxLoad) : 0; // NaN > 0 is false
    }

    /// <summary>
    /// <c>(a + la) / wa &lt; (b + lb) / wb</c> without division. Without load on either side this is least
    /// connections' own integer comparison, so picks stay exact at any weight; with load, doubles (exact up
    /// to 2^53, far beyond real connection counts times weights).
    /// </summary>
    internal static bool Lower(long a, double la, long wa, long b, double lb, long wb) =>
        la == 0 && lb == 0
            ? a * wb < b * wa
            : (a + la) * wb < (b + lb) * wa;

    /// <summary>
    /// The one place the weight is read: when an agent's weight percentage lands (an effective weight on
    /// <see cref="BackendState"/>), it is this line that changes.
    /// </summary>
    // The agent's weight percent where it reported one (fresh), as every policy does; an agent's 0 % leaves the backend unavailable before this is asked.
    private static long WeightOf(BackendState backend) => Math.Max(1, backend.EffectiveWeight);
}
