namespace L4Balancer.Admin;

/// <summary><c>GET /api/status</c> (SPEC "Admin endpoint"); serialized with snake_case names.</summary>
internal sealed record AdminStatus(
    string Version,
    DateTimeOffset StartedAt,
    double UptimeSeconds,
    long ConfigGeneration,
    bool Accepting,
    int ConnectionsOpen,
    ReloadCounts Reloads,
    IReadOnlyList<ListenerStatus> Listeners,
    IReadOnlyList<TenantStatus> Tenants,
    IReadOnlyList<BackendStatus> Backends,
    IReadOnlyList<RejectionStatus> Rejections,
    DescriptorStatus? Descriptors);
