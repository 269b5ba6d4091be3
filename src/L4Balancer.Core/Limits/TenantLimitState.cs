namespace L4Balancer.Core.Limits;

/// <summary>
/// A tenant's admission and bandwidth state, kept by tenant name across reloads (in
/// <see cref="Runtime.StateStore"/>): a reload must not reset the count of open connections or refill
/// the buckets. The limits themselves are read from the tenant's config in the current snapshot.
/// </summary>
internal sealed class TenantLimitState
{
    /// <summary>Connections past the tenant's allow/deny check, until they close (tenant <c>max_connections</c>).</summary>
    public ConcurrencyGate Connections { get; } = new();

    /// <summary>Tenant <c>connection_rate</c> / <c>connection_burst</c>.</summary>
    public TokenBucket ConnectionRate { get; } = new();

    /// <summary>This instance's part of the fleet-wide limits with <c>[cluster]</c>; <see cref="FleetShareMode.Local"/> without.</summary>
    public FleetShare Fleet { get; } = new();

    /// <summary>Connections waiting for a backend slot (tenant <c>queue_timeout</c>).</summary>
    public BackendQueue Queue { get; } = new();

    /// <summary>Tenant <c>bandwidth</c>, client → backend, shared by all of the tenant's connections.</summary>
    public TokenBucket ClientToBackend { get; } = new();

    /// <summary>Tenant <c>bandwidth</c>, backend → client.</summary>
    public TokenBucket BackendToClient { get; } = new();
}
