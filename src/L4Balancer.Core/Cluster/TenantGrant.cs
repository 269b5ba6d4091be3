namespace L4Balancer.Core.Cluster;

/// <summary>One tenant's answer to a sync: the member's lease and target, for connections and for the rate.</summary>
internal readonly record struct TenantGrant(int Lease, int Target, double RateLease, double RateTarget);
