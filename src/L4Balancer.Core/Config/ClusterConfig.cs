namespace L4Balancer.Core.Config;

/// <summary>
/// The <c>[cluster]</c> table: with it, tenants' <c>max_connections</c> and <c>connection_rate</c> are
/// fleet-wide and drains reach every instance (<see cref="Cluster.ClusterMember"/>). Read at start only,
/// as the transport: a reload that changes it is applied but says the table waits for a restart or upgrade.
/// </summary>
internal sealed record ClusterConfig
{
    /// <summary><c>host:port</c> of the Redis server (or of a proxy in front of a replicated one).</summary>
    public required string Redis { get; init; }

    /// <summary>Resolved <c>password</c> (after <c>env:</c>/<c>file:</c>); null = none. Never logged.</summary>
    public string? Password { get; init; }

    /// <summary>Redis over TLS, verified against the system's trust store.</summary>
    public bool Tls { get; init; }

    /// <summary>This instance's name in the fleet (shown on every dashboard); default: the host name.</summary>
    public required string Instance { get; init; }

    /// <summary>How often a member renews its leases and heartbeat; a dead member's share returns after 3 × this.</summary>
    public TimeSpan SyncInterval { get; init; } = TimeSpan.FromSeconds(1);

    public RedisDownPolicy OnRedisDown { get; init; } = RedisDownPolicy.LocalShare;

    /// <summary>Prefix of every Redis key, so fleets can share one Redis.</summary>
    public string KeyPrefix { get; init; } = "l4b:";

    /// <summary>The time a lease holds without a renewal: Redis forgets a member that long after its last sync.</summary>
    public TimeSpan LeaseTtl => SyncInterval * 3;
}
