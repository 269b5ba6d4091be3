using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using L4Balancer.Core.Net;
using L4Balancer.Core.Routing;

namespace L4Balancer.Core.Runtime;

/// <summary>Builds a snapshot from a validated config. Reads shared state but changes none (see <see cref="StateStore.Commit"/>).</summary>
internal static class SnapshotBuilder
{
    public static RuntimeSnapshot Build(BalancerConfig config, long generation, StateStore store, TimeProvider timeProvider, Random? random = null)
    {
        var tenants = new Dictionary<string, TenantState>(StringComparer.Ordinal);
        foreach (var tenant in config.Tenants)
        {
            var backends = tenant.Backends.Select(b => store.ResolveBackend(tenant.Name, b)).ToArray();
            var policy = LoadBalancingPolicies.Create(tenant, timeProvider, random);
            tenants[tenant.Name] = new TenantState(tenant, backends, policy, store.GetOrAddCounters(tenant.Name), store.GetOrAddLimits(tenant.Name));
        }

        var listeners = new Dictionary<string, ListenerRoute>(StringComparer.Ordinal);
        foreach (var listener in config.Listeners)
        {
            var tenant = listener.Tenant is { } name && tenants.TryGetValue(name, out var t) ? t : null;
            listeners[listener.Name] = new ListenerRoute(listener, tenant);
        }

        var globalDeny = config.Global.Deny.Count == 0 ? AccessList.Empty : AccessList.Create([], config.Global.Deny);
        return new RuntimeSnapshot(config, generation, tenants, listeners, new SniRouter(tenants.Values), globalDeny);
    }
}
