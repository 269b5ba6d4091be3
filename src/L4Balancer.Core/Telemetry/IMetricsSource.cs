namespace L4Balancer.Core.Telemetry;

/// <summary>
/// What <see cref="BalancerMetrics"/> reads when a listener collects. The engine implements it over its
/// state store, serving snapshot and open sessions; telemetry itself knows none of those, so it can be
/// fed by any transport and tested without one.
/// </summary>
internal interface IMetricsSource
{
    /// <summary>Every tenant ever configured with its reload-surviving counters.</summary>
    IEnumerable<KeyValuePair<string, TenantCounters>> TenantCounters { get; }

    /// <summary>The backends of the config now serving (a removed backend leaves the gauges with its config).</summary>
    IEnumerable<BackendSample> Backends();

    /// <summary>
    /// Bytes the open sessions have moved and not yet added to their tenant's and backend's counters, one
    /// entry per session (a tenant and a backend may repeat).
    /// </summary>
    IEnumerable<SessionBytes> LiveBytes();

    /// <summary>Connections waiting for a backend slot now, per tenant with a <c>queue_timeout</c> (others have no queue).</summary>
    IEnumerable<KeyValuePair<string, int>> Queues();

    /// <summary>The fleet membership; null without <c>[cluster]</c> (no <c>l4lb_cluster_*</c> series then).</summary>
    FleetSample? Fleet();
}
