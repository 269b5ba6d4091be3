using L4Balancer.Core.Config;
using L4Balancer.Core.Net;

namespace L4Balancer.Core.Routing;

/// <summary>How one listener finds a tenant in one snapshot.</summary>
internal sealed class ListenerRoute
{
    public ListenerRoute(ListenerConfig config, TenantState? tenant)
    {
        Config = config;
        Tenant = tenant;

        // Built per snapshot, so a reload's new list applies to the connections accepted after it.
        TrustedProxies = config.AcceptProxy ? AccessList.Create(config.TrustedProxies, []) : null;
    }

    public ListenerConfig Config { get; }

    public string Name => Config.Name;

    /// <summary>route = port: the tenant; route = sni: the fallback tenant, if any.</summary>
    public TenantState? Tenant { get; }

    /// <summary>
    /// <c>accept_proxy</c>: the peers that may send a PROXY header (an allow-only list, so any other
    /// address is refused); null when the listener takes its clients as they connect.
    /// </summary>
    public AccessList? TrustedProxies { get; }
}
