namespace L4Balancer.Core.Cluster;

/// <summary>The member as <c>/api/status</c> and the dashboard show it.</summary>
/// <param name="Members">Live member ids, <c>instance#random</c> (two for one instance during an upgrade).</param>
internal sealed record ClusterStatus(
    string Instance,
    string Member,
    bool RedisUp,
    string OnRedisDown,
    double SyncIntervalSeconds,
    IReadOnlyList<string> Instances,
    IReadOnlyList<string> Members,
    DateTimeOffset? LastSync);
