using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using L4Balancer.Core.Limits;
using L4Balancer.Core.Net;
using L4Balancer.Core.Telemetry;

namespace L4Balancer.Core.Routing;

/// <summary>A tenant as one config snapshot sees it: its config, its backends, its policy, and its (reload-surviving) counters and limit state.</summary>
internal sealed class TenantState
{
    public TenantState(TenantConfig config, IReadOnlyList<BackendState> backends, ILoadBalancingPolicy policy, TenantCounters counters, TenantLimitState limits)
    {
        Limits = limits;
        Config = config;
        Access = config.Allow.Count == 0 && config.Deny.Count == 0 ? AccessList.Empty : AccessList.Create(config.Allow, config.Deny);
        Backends = backends;
        Policy = policy;
        Counters = counters;
    }

    public string Name => Config.Name;

    public TenantConfig Config { get; }

    public IReadOnlyList<BackendState> Backends { get; }

    public ILoadBalancingPolicy Policy { get; }

    public TenantCounters Counters { get; }

    /// <summary>Open-connection count and token buckets (reload-surviving); the limits are in <see cref="Config"/>.</summary>
    public TenantLimitState Limits { get; }

    /// <summary>The tenant's allow/deny lists, checked after routing (also after SNI picked the tenant).</summary>
    public AccessList Access { get; }

    /// <summary>
    /// A backend by the address an operator names it with: as written in the config (case-insensitive, for
    /// host names), or else as resolved (what <c>/api/status</c> and the logs may show for a host name).
    /// </summary>
    public BackendState? FindBackend(string address) =>
        Backends.FirstOrDefault(b => string.Equals(b.Address, address, StringComparison.OrdinalIgnoreCase))
        ?? Backends.FirstOrDefault(b => b.IsResolved && string.Equals(b.EndPoint.ToString(), address, StringComparison.OrdinalIgnoreCase));
}
