using L4Balancer.Core.Config;

namespace L4Balancer.Core.Balancing;

internal static class LoadBalancingPolicies
{
    /// <summary>The tenant's policy for one snapshot (Maglev builds its table here, once per load or reload).</summary>
    public static ILoadBalancingPolicy Create(TenantConfig tenant, Random? random = null) => tenant.Balance switch
    {
        BalanceAlgorithm.LeastConnections => new LeastConnectionsPolicy(),
        BalanceAlgorithm.RoundRobin => new RoundRobinPolicy(),
        BalanceAlgorithm.PowerOfTwo => new PowerOfTwoChoicesPolicy(random ?? Random.Shared),
        BalanceAlgorithm.Maglev => new MaglevPolicy(tenant.Backends, tenant.HashKey, tenant.HashTableSize, tenant.HashBalanceFactor),
        _ => throw new ArgumentOutOfRangeException(nameof(tenant), tenant.Balance, "unknown balance algorithm"),
    };
}
