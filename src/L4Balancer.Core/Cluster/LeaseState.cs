namespace L4Balancer.Core.Cluster;

/// <summary>What the member remembers of one tenant between syncs (its own loop only).</summary>
internal sealed class LeaseState
{
    /// <summary>The connections Redis would have this member hold: it shrinks its cap toward this before the next sync.</summary>
    public int Target { get; set; }

    /// <summary>The rate share Redis would have this member hold; the member lowers its share to it at the next sync.</summary>
    public double RateTarget { get; set; } = double.MaxValue;

    /// <summary>
    /// Rate checks per second, smoothed over syncs: a raw count per interval jitters (4 ± 2 in 200 ms at 20/s),
    /// and every jitter of the targets leaves capacity in transit between members (one member gives back at
    /// once, the other takes it a sync later), which showed as 19 % under the fleet-wide rate in the test.
    /// </summary>
    public double RateDemand { get; set; } = -1;

    /// <summary>When the demand was last taken, to turn rate checks into a rate.</summary>
    public long DemandTakenAt { get; set; }
}
