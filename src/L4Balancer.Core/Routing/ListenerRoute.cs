using L4Balancer.Core.Config;

namespace L4Balancer.Core.Routing;

/// <summary>How one listener finds a tenant in one snapshot.</summary>
internal sealed class ListenerRoute
{
    public ListenerRoute(ListenerConfig config, TenantState? tenant)
    {
        Config = config;
        Tenant = tenant;
    }

    public ListenerConfig Config { get; }

    public string Name => Config.Name;

    /// <summary>route = port: the tenant; route = sni: the fallback tenant, if any.</summary>
    public TenantState? Tenant { get; }
}
