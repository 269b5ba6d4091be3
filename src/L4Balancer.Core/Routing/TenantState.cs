using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;

namespace L4Balancer.Core.Routing;

/// <summary>A tenant as one config snapshot sees it: its config, its backends, its policy, and its (reload-surviving) counters.</summary>
internal sealed class TenantState
{
    public TenantState(TenantConfig config, IReadOnlyList<BackendState> backends, ILoadBalancingPolicy policy, TenantCounters counters)
    {
        Config = config;
        Backends = backends;
        Policy = policy;
        Counters = counters;
    }

    public string Name => Config.Name;

    public TenantConfig Config { get; }

    public IReadOnlyList<BackendState> Backends { get; }

    public ILoadBalancingPolicy Policy { get; }

    public TenantCounters Counters { get; }

    public BackendState? FindBackend(string address) =>
        Backends.FirstOrDefault(b => string.Equals(b.Address, address, StringComparison.OrdinalIgnoreCase));
}
