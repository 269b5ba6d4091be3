namespace L4Balancer.Core.Cluster;

/// <summary>What the member remembers of one tenant between syncs (its own loop only).</summary>
internal sealed class LeaseState
{
    /// <summary>The connections Redis would have this member hold: it shrinks its cap toward this before the next sync.</summary>
    public int Target { get; set; }

    /// <summary>When the demand was last taken, to turn rate checks into a rate.</summary>
    public long DemandTakenAt { get; set; }
}
