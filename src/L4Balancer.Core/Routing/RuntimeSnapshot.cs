using L4Balancer.Core.Config;
using L4Balancer.Core.Net;

namespace L4Balancer.Core.Routing;

/// <summary>
/// Everything a new connection needs, built from one config and swapped whole on reload. A session
/// takes the snapshot current at accept and keeps it to the end, so a reload never changes a live
/// connection's tenant or backend.
/// </summary>
internal sealed class RuntimeSnapshot
{
    public RuntimeSnapshot(BalancerConfig config, long generation, IReadOnlyDictionary<string, TenantState> tenants, IReadOnlyDictionary<string, ListenerRoute> listeners, SniRouter sni, AccessList globalDeny)
    {
        GlobalDeny = globalDeny;
        Config = config;
        Generation = generation;
        Tenants = tenants;
        Listeners = listeners;
        Sni = sni;
    }

    public BalancerConfig Config { get; }

    public long Generation { get; }

    public IReadOnlyDictionary<string, TenantState> Tenants { get; }

    public IReadOnlyDictionary<string, ListenerRoute> Listeners { get; }

    /// <summary>Every tenant's SNI names; used by every <c>route = "sni"</c> listener.</summary>
    public SniRouter Sni { get; }

    /// <summary>[global] deny: checked before anything else, on every listener.</summary>
    public AccessList GlobalDeny { get; }
}
