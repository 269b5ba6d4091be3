namespace L4Balancer.Admin;

/// <summary>
/// <c>cluster</c> in <c>/api/status</c> (null without <c>[cluster]</c>): this member, whether Redis answers,
/// the live instances of the fleet, and each fleet-limited tenant's local share.
/// </summary>
internal sealed record FleetStatus(
    string Instance,
    string Member,
    bool RedisUp,
    string OnRedisDown,
    double SyncIntervalSeconds,
    DateTimeOffset? LastSync,
    IReadOnlyList<string> Instances,
    IReadOnlyList<string> Members,
    IReadOnlyList<FleetTenantStatus> Tenants);
