using System.Diagnostics.Metrics;
using System.Net;
using L4Balancer.Core.Limits;
using L4Balancer.Core.Model;
using L4Balancer.Core.Routing;
using L4Balancer.Core.Telemetry;

namespace L4Balancer.Core.Runtime;

/// <summary>
/// The engine as the admin API, the dashboard and the metrics endpoint read it (YARP's
/// <c>IProxyStateLookup</c>): what serves now and the counters, without a way to change either. What an
/// operator may change goes through <see cref="IBalancerCommands"/> and <see cref="IConfigReloader"/>.
/// </summary>
internal interface IBalancerState
{
    /// <summary>The snapshot serving now, or null before the engine started.</summary>
    RuntimeSnapshot? CurrentOrNull { get; }

    /// <summary>True while listeners are bound and accepting.</summary>
    bool IsAccepting { get; }

    /// <summary>Connections open now (accepted and not finished).</summary>
    int OpenConnections { get; }

    /// <summary>Listener name → bound address (with the real port when the config said 0).</summary>
    IReadOnlyDictionary<string, IPEndPoint> ListenerEndPoints { get; }

    /// <summary>Config reloads by outcome since start.</summary>
    (long Ok, long Error) ReloadCounts { get; }

    /// <summary>Binary upgrades by outcome, the predecessors' included.</summary>
    (long Ok, long Error) UpgradeCounts { get; }

    /// <summary>Set once this process has taken over from a predecessor; null for a fresh start.</summary>
    Takeover? TookOver { get; }

    /// <summary>The descriptor budget in force (null until the limit was read).</summary>
    DescriptorFigures? DescriptorBudget { get; }

    /// <summary>The connection limit in force for a configured <c>global.max_connections</c> (the descriptor budget may lower it).</summary>
    int EffectiveMaxConnections(int configured);

    /// <summary>Rejections by listener, tenant (empty when unknown) and reason.</summary>
    IEnumerable<(string Listener, string Tenant, CloseReason Reason, long Count)> Rejections();

    /// <summary>Bytes per tenant, finished connections plus the live ones (never decreasing).</summary>
    IReadOnlyList<TenantBytes> TenantBytes();

    /// <summary>The fleet membership (<c>[cluster]</c>); null when this instance is on its own.</summary>
    Cluster.ClusterStatus? GetClusterStatus();

    /// <summary>The engine's clock (report ages are read on it).</summary>
    TimeProvider TimeProvider { get; }

    /// <summary>The meter every metric of this engine is an instrument of.</summary>
    Meter Meter { get; }
}
