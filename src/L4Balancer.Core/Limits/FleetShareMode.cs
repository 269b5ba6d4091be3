namespace L4Balancer.Core.Limits;

/// <summary>Where a tenant's local share of a fleet-wide limit comes from right now.</summary>
internal enum FleetShareMode
{
    /// <summary>No <c>[cluster]</c>: the tenant's limits are this instance's own.</summary>
    Local,

    /// <summary>A lease granted by Redis, renewed within its TTL.</summary>
    Lease,

    /// <summary>The lease expired with Redis unreachable: limit ÷ the live instance count last seen.</summary>
    LocalShare,

    /// <summary>The lease expired with Redis unreachable, <c>on_redis_down = "open"</c>: not enforced.</summary>
    Open,

    /// <summary>The lease expired with Redis unreachable, <c>on_redis_down = "closed"</c>: nothing admitted.</summary>
    Closed,
}
