using System.Text.Json.Serialization;

namespace L4Balancer.Admin;

/// <summary>
/// <c>GET /api/status</c> (SPEC "Admin endpoint"); serialized with snake_case names. <see cref="ParentPid"/>
/// and <see cref="TookOverAt"/> are written as <c>null</c> for a fresh start rather than left out, so a
/// reader can tell "no predecessor" from a balancer too old to report one: the attribute keeps them
/// even if the serializer options are ever set to omit nulls (the host's JSON options already are).
/// </summary>
internal sealed record AdminStatus(
    string Version,
    DateTimeOffset StartedAt,
    double UptimeSeconds,
    int Pid,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] int? ParentPid,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? TookOverAt,
    long ConfigGeneration,
    bool Accepting,
    int ConnectionsOpen,
    OutcomeCounts Reloads,
    OutcomeCounts Upgrades,
    IReadOnlyList<ListenerStatus> Listeners,
    IReadOnlyList<TenantStatus> Tenants,
    IReadOnlyList<BackendStatus> Backends,
    IReadOnlyList<RejectionStatus> Rejections,
    DescriptorStatus? Descriptors,
    FleetStatus? Cluster);
